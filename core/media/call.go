package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// CallOptions configures one call.
type CallOptions struct {
	// Audio and Video are the directions wanted, from the agent's side (the
	// spec's ints: 0 inactive, 1 sendonly, 2 recvonly, 3 sendrecv). A call
	// with Video 0 has no video m= line until SetDirections asks for video.
	Audio, Video Direction
	// VideoHeight is the spec's `pixels` (480, 720, 1280...): the height
	// asked of the peer (a=imageattr recv) and handed to the VideoSource.
	VideoHeight int
	// AudioCodecs limits and orders the audio codecs ("OPUS", "PCMU",
	// "PCMA"); empty means Opus, PCMU, PCMA. Opus exists only in builds with
	// the opus tag (cgo, libopus; see docs/media.md): elsewhere "OPUS" is
	// ignored. telephone-event is always added (at 8000 Hz, and at 48000 Hz
	// with Opus).
	AudioCodecs []string
	// VideoCodecs limits and orders the video codecs ("VP8", "H264");
	// empty means VP8 then H264.
	VideoCodecs []string

	// Callbacks run in order on the call's event goroutine.
	OnDTMF       func(Digit)     // a received digit (RFC 4733 or inband)
	OnState      func(State)     // ICE/DTLS connection state changes
	OnStats      func(Stats)     // every Config.StatsInterval
	OnFirstAudio func(time.Time) // the first received audio packet
	// OnConnectFailed: ICE/DTLS did not connect within Config.ConnectTimeout
	// after an offer/answer exchange, or the connection failed before it
	// ever came up; reason says which step got stuck. Called at most once
	// per exchange. The call is left as it is: ending it is the caller's
	// policy.
	OnConnectFailed func(reason string)
}

const (
	kAudio = 0
	kVideo = 1
)

// payload kinds of received packets
const (
	plUnknown = iota
	plPCMU
	plPCMA
	plTE
	plOpus // build tag opus
	plTE48 // telephone-event/48000 (with Opus)
)

// Call is one media session (one PeerConnection). Its methods are safe for
// concurrent use.
type Call struct {
	e     *Engine
	opts  CallOptions
	log   *slog.Logger
	pc    *webrtc.PeerConnection
	audio *rawTrack
	ev    *eventQueue
	start time.Time

	closed    chan struct{}
	kick      chan struct{} // media just became sendable: send a frame now, not at the next tick
	closeOnce sync.Once
	wg        sync.WaitGroup
	negMu     sync.Mutex // one offer/answer at a time

	mu           sync.Mutex
	isClosed     bool
	want         [2]Direction
	held         bool
	local        map[string]Direction // mid → direction in our last SDP
	pending      map[string]Direction // directions of an offer not yet answered
	remoteSetup  string               // the peer's DTLS role, "active" or "passive"
	remote       map[string]Direction // mid → direction in the peer's last SDP
	rejected     map[string]bool
	kindOf       map[string]int
	negotiated   bool
	src          AudioSource
	srcDone      bool
	dtmfQ        []dtmfJob
	dtmfIdle     chan struct{} // closed while no digit is queued or playing
	video        *rawTrack
	videoSrc     VideoSource
	videoCancel  context.CancelFunc
	state        State
	everUp       bool        // the connection came up at least once
	earlyFail    string      // a transport failed before the exchange was recorded
	connTimer    *time.Timer // armed after an exchange while not connected
	connGen      uint64      // which arming connTimer belongs to
	connFailed   bool        // OnConnectFailed called for the current exchange
	faulted      bool        // a contained panic was reported (fault.go)
	negotiatedAt time.Time   // end of the last offer/answer exchange
	rtt          time.Duration
	remoteLoss   [2]float64
	remoteJit    [2]time.Duration
	sendRate     [2]float64
	recvRate     [2]float64

	sendOK, recvOK  [2]atomic.Bool
	connected       atomic.Bool // ICE and DTLS up: what is written goes on the wire
	muted           atomic.Bool
	dtlsFailed      atomic.Bool // the DTLS transport said "failed" (pion may close it before a connection "failed" is handled)
	sinks           atomic.Pointer[[]sinkEntry]
	sinkSeq         atomic.Uint64
	videoFn         atomic.Pointer[func(string, []byte, uint32)]
	ptKinds         atomic.Pointer[[128]uint8]
	txPkts, txBytes [2]atomic.Uint64

	// receive side, guarded by rxMu
	rxMu       sync.Mutex
	jb         *jitterBuffer
	arx, vrx   rxStats
	aPrev      rxTotals // streams (SSRCs) that ended
	vPrev      rxTotals
	decBuf     []int16
	arxClock   int64 // RTP clock of the received audio (8000, or 48000 for Opus)
	opusRx     opusDecoder
	te         teState
	firstAudio bool

	det    DTMFDetector // media goroutine only
	opusTx opusEncoder  // media goroutine only

	// testDropRx, set by tests only, drops received packets as a lossy
	// network would (the concealment and MOS tests). Kept in the struct:
	// the two peers of a test meet over loopback host candidates, and
	// losing packets from outside would need a UDP relay that ICE routes
	// through; nil everywhere else.
	testDropRx func(*rtp.Packet) bool
}

type rxTotals struct {
	pkts, bytes uint64
	lost        int64
	expected    int64
}

type sinkEntry struct {
	id uint64
	s  AudioSink
}

type teState struct {
	active, reported bool
	ts               uint32
	code             uint8
	dur              uint16
	clock            int64
	last             time.Time
}

// NewCall makes a call with its PeerConnection. Nothing is sent until an
// offer/answer exchange completed and ICE/DTLS connected.
func (e *Engine) NewCall(opts CallOptions) (*Call, error) {
	if !opts.Audio.valid() || !opts.Video.valid() {
		return nil, ErrBadDirection
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	e.mu.Unlock()
	pc, err := e.api.NewPeerConnection(webrtc.Configuration{
		ICEServers:    e.cfg.ICEServers,
		BundlePolicy:  webrtc.BundlePolicyMaxBundle,
		RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire,
	})
	if err != nil {
		return nil, err
	}
	stream := fmt.Sprintf("cc-%08x", rand.Uint32())
	log := e.log.With("call", stream)
	c := &Call{
		e:        e,
		opts:     opts,
		log:      log,
		pc:       pc,
		audio:    newRawTrack(webrtc.RTPCodecTypeAudio, stream),
		ev:       newEventQueue(log), // a contained panic names the call
		start:    time.Now(),
		closed:   make(chan struct{}),
		kick:     make(chan struct{}, 1),
		dtmfIdle: closedChan(),
		want:     [2]Direction{opts.Audio, opts.Video},
		local:    map[string]Direction{},
		remote:   map[string]Direction{},
		rejected: map[string]bool{},
		kindOf:   map[string]int{},
		jb:       newJitterBuffer(e.cfg.JitterBufferMs),
		decBuf:   make([]int16, 2048),
		arxClock: SampleRate,
	}
	c.det.OnDigit = c.gotDigit
	c.audio.onBind = c.kickSender
	empty := []sinkEntry{}
	c.sinks.Store(&empty)
	c.ptKinds.Store(defaultPTKinds())
	c.audio.allow = map[string]bool{}
	for _, p := range c.audioPrefs() {
		if m := strings.ToLower(p.MimeType); m != mimeTE {
			c.audio.allow[m] = true
		}
	}
	// pion runs these on goroutines of its own: contained like ours.
	pc.OnTrack(func(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
		defer contain.Recover(c.log, "media: track", c.fault)
		c.onTrack(tr, rcv)
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		defer contain.Recover(c.log, "media: connection state", c.fault)
		c.onConnState(s)
	})
	// pion does not always move the connection to "failed" when DTLS
	// fails (a wrong fingerprint left it "checking" 1 time in 4): the
	// transports' own states say it sooner than the deadline. pion calls
	// these holding its transport's lock, which transportStateLocked takes
	// under c.mu: handled on a goroutine of their own, never inline.
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		if s == webrtc.ICEConnectionStateFailed {
			contain.Go(c.log, "media: ICE failure", func() { c.transportFailed("ICE failed") }, c.fault)
		}
	})
	if sc := pc.SCTP(); sc != nil && sc.Transport() != nil {
		sc.Transport().OnStateChange(func(s webrtc.DTLSTransportState) {
			if s == webrtc.DTLSTransportStateFailed {
				c.dtlsFailed.Store(true) // before anything can read the transport's later state
				contain.Go(c.log, "media: DTLS failure", func() { c.transportFailed("DTLS handshake failed") }, c.fault)
			}
		})
	}
	if err := c.addTrack(c.audio, c.audioPrefs()); err != nil {
		_ = pc.Close()
		c.ev.close(false)
		return nil, err
	}
	if opts.Video != Inactive {
		if err := c.ensureVideo(); err != nil {
			_ = pc.Close()
			c.ev.close(false)
			return nil, err
		}
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		_ = c.Close()
		return nil, ErrClosed
	}
	e.calls[c] = struct{}{}
	e.mu.Unlock()
	c.wg.Add(1)
	go c.run() // contained in run: a fault there is the call's media failure
	return c, nil
}

func defaultPTKinds() *[128]uint8 {
	var t [128]uint8
	t[ptPCMU], t[ptPCMA], t[ptTE] = plPCMU, plPCMA, plTE
	return &t
}

func (c *Call) audioPrefs() []webrtc.RTPCodecParameters {
	names := c.opts.AudioCodecs
	if len(names) == 0 {
		names = []string{"OPUS", "PCMU", "PCMA"}
	}
	var out []webrtc.RTPCodecParameters
	withOpus := false
	for _, n := range names {
		var p webrtc.RTPCodecParameters
		switch strings.ToUpper(n) {
		case "PCMU":
			p = codecPCMU
		case "PCMA":
			p = codecPCMA
		case "OPUS":
			oc := opusCodecs()
			if len(oc) == 0 || withOpus { // built without the opus tag
				continue
			}
			p, withOpus = oc[0], true
		default:
			continue
		}
		p.PayloadType = 0 // let pion fill in the negotiated number
		out = append(out, p)
	}
	te := codecTE
	te.PayloadType = 0
	out = append(out, te)
	if withOpus {
		te48 := opusCodecs()[1]
		te48.PayloadType = 0
		out = append(out, te48)
	}
	return out
}

func (c *Call) videoPrefs() []webrtc.RTPCodecParameters {
	if len(c.opts.VideoCodecs) == 0 {
		return nil
	}
	var out []webrtc.RTPCodecParameters
	for _, n := range c.opts.VideoCodecs {
		var p webrtc.RTPCodecParameters
		switch strings.ToUpper(n) {
		case "VP8":
			p = codecVP8
		case "H264":
			p = codecH264
		default:
			continue
		}
		p.PayloadType = 0
		out = append(out, p)
	}
	return out
}

// addTrack attaches t to a transceiver (one a remote offer made, or a new
// sendrecv one) and starts reading its RTCP.
func (c *Call) addTrack(t *rawTrack, prefs []webrtc.RTPCodecParameters) error {
	sender, err := c.pc.AddTrack(t)
	if err != nil {
		return err
	}
	for _, tr := range c.pc.GetTransceivers() {
		if tr.Sender() == sender && prefs != nil {
			if err := tr.SetCodecPreferences(prefs); err != nil {
				return err
			}
		}
	}
	kind := kAudio
	if t.kind == webrtc.RTPCodecTypeVideo {
		kind = kVideo
	}
	if !c.goTracked("media: sender RTCP", func() { c.readSenderRTCP(sender, t, kind) }) {
		return ErrClosed
	}
	return nil
}

// goTracked starts f as a goroutine Close waits for, unless closed; a
// panic in f is the call's media failure (fault.go).
func (c *Call) goTracked(what string, f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		contain.Do(c.log, what, f, c.fault)
	}()
	return true
}

func (c *Call) ensureVideo() error {
	c.mu.Lock()
	v := c.video
	if v == nil {
		v = newRawTrack(webrtc.RTPCodecTypeVideo, c.audio.stream)
		c.video = v
	}
	c.mu.Unlock()
	for _, s := range c.pc.GetSenders() {
		if s.Track() == v {
			return nil
		}
	}
	return c.addTrack(v, c.videoPrefs())
}

func (c *Call) hasVideoTrack() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.video != nil
}

func (c *Call) closedNow() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// kickSender makes the media goroutine send a frame at once. Called when
// the track binds and when the connection comes up (whichever is later
// makes the frame go out): the first packet then leaves as soon as it can
// instead of up to 20 ms later, which is most of a call's setup time.
func (c *Call) kickSender() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// State is the current connection state.
func (c *Call) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Close ends the call: stops its goroutines and the PeerConnection. Safe
// to call twice. Callbacks already queued may still run after it returns;
// none is queued after.
func (c *Call) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.isClosed = true
		c.stopConnectTimerLocked()
		if c.videoCancel != nil {
			c.videoCancel()
		}
		c.mu.Unlock()
		close(c.closed)
		err = c.pc.Close()
		c.wg.Wait()
		c.ev.close(false)
		c.e.forget(c)
	})
	if errors.Is(err, webrtc.ErrConnectionClosed) {
		err = nil
	}
	return err
}
