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

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
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
	negotiatedAt time.Time   // end of the last offer/answer exchange
	rtt          time.Duration
	remoteLoss   [2]float64
	remoteJit    [2]time.Duration
	sendRate     [2]float64
	recvRate     [2]float64

	sendOK, recvOK  [2]atomic.Bool
	connected       atomic.Bool // ICE and DTLS up: what is written goes on the wire
	muted           atomic.Bool
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

	testDropRx func(*rtp.Packet) bool // tests: simulate network loss
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
	c := &Call{
		e:        e,
		opts:     opts,
		log:      e.log.With("call", stream),
		pc:       pc,
		audio:    newRawTrack(webrtc.RTPCodecTypeAudio, stream),
		ev:       newEventQueue(),
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
	pc.OnTrack(c.onTrack)
	pc.OnConnectionStateChange(c.onConnState)
	// pion does not always move the connection to "failed" when DTLS
	// fails (a wrong fingerprint left it "checking" 1 time in 4): the
	// transports' own states say it sooner than the deadline. pion calls
	// these holding its transport's lock, which transportStateLocked takes
	// under c.mu: handled on a goroutine of their own, never inline.
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		if s == webrtc.ICEConnectionStateFailed {
			go c.transportFailed("ICE failed")
		}
	})
	if sc := pc.SCTP(); sc != nil && sc.Transport() != nil {
		sc.Transport().OnStateChange(func(s webrtc.DTLSTransportState) {
			if s == webrtc.DTLSTransportStateFailed {
				go c.transportFailed("DTLS handshake failed")
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
	go c.run()
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
	if !c.goTracked(func() { c.readSenderRTCP(sender, t, kind) }) {
		return ErrClosed
	}
	return nil
}

// goTracked starts f as a goroutine Close waits for, unless closed.
func (c *Call) goTracked(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
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

// gather sets desc as the local description and returns the complete SDP
// once ICE gathering is done (SIP peers do not trickle).
func (c *Call) gather(ctx context.Context, desc webrtc.SessionDescription) (string, error) {
	if err := c.pc.SetLocalDescription(desc); err != nil {
		return "", err
	}
	done := webrtc.GatheringCompletePromise(c.pc)
	t := time.NewTimer(c.e.cfg.GatherTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-ctx.Done():
		return "", ctx.Err()
	case <-c.closed:
		return "", ErrClosed
	case <-t.C:
		return "", ErrGathering
	}
	return c.pc.LocalDescription().SDP, nil
}

// localDir is the direction we put in our SDP for a kind. c.mu held.
func (c *Call) localDir(kind int) Direction {
	d := c.want[kind]
	if c.held {
		d &= SendOnly // sendrecv → sendonly, recvonly → inactive
	}
	return d
}

func kindIndex(k string) int {
	if k == "video" {
		return kVideo
	}
	return kAudio
}

func (c *Call) extraAttrs(kind string) []sdp.Attribute {
	if kind != "video" || c.opts.VideoHeight <= 0 {
		return nil
	}
	h := c.opts.VideoHeight
	w := (h*16/9 + 15) &^ 15
	return []sdp.Attribute{sdp.NewAttribute("imageattr", fmt.Sprintf("* recv [x=[16:%d],y=[16:%d]]", w, h))}
}

// CreateOffer makes a complete offer (all candidates, c= and m= port of
// the default candidate, a=setup:actpass, rtcp-mux, BUNDLE) with the
// current directions and hold state. With iceRestart it asks for new ICE
// credentials (for a network change).
func (c *Call) CreateOffer(ctx context.Context, iceRestart bool) (string, error) {
	c.negMu.Lock()
	defer c.negMu.Unlock()
	if c.closedNow() {
		return "", ErrClosed
	}
	c.mu.Lock()
	wantVideo := c.want[kVideo] != Inactive
	c.mu.Unlock()
	if wantVideo {
		if err := c.ensureVideo(); err != nil {
			return "", err
		}
	}
	offer, err := c.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: iceRestart})
	if err != nil {
		return "", err
	}
	raw, err := c.gather(ctx, offer)
	if err != nil {
		return "", err
	}
	secs, err := parseSDP(raw)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	dirs := map[string]Direction{}
	for _, s := range secs {
		k := kindIndex(s.Kind)
		c.kindOf[s.Mid] = k
		dirs[s.Mid] = c.localDir(k)
	}
	wire, err := toWire(raw, wireOpts{dirOf: func(mid string) (Direction, bool) { d, ok := dirs[mid]; return d, ok }, extra: c.extraAttrs})
	if err != nil {
		return "", err
	}
	c.pending = dirs
	return wire, nil
}

// RollbackOffer drops our pending offer (the re-INVITE that carried it
// failed): the call goes on with the last agreed offer/answer.
func (c *Call) RollbackOffer() error {
	c.negMu.Lock()
	defer c.negMu.Unlock()
	if c.closedNow() {
		return ErrClosed
	}
	c.mu.Lock()
	c.pending = nil
	c.mu.Unlock()
	return c.rollbackLocal()
}

// rollbackLocal returns pion to stable from have-local-offer. pion has no
// local rollback, so the pending offer is completed with the peer's last
// SDP as the answer (same ICE credentials, fingerprint and DTLS role, so
// the transport goes on untouched); m= lines the offer added are answered
// rejected.
func (c *Call) rollbackLocal() error {
	if c.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		return nil
	}
	prev, pend := c.pc.CurrentRemoteDescription(), c.pc.PendingLocalDescription()
	if prev == nil || pend == nil {
		return ErrNoRollback
	}
	var ps, ls sdp.SessionDescription
	if err := ps.UnmarshalString(prev.SDP); err != nil {
		return err
	}
	if err := ls.UnmarshalString(pend.SDP); err != nil {
		return err
	}
	if cur := c.pc.CurrentLocalDescription(); cur == nil || sdpValue(pend.SDP, "ice-ufrag") != sdpValue(cur.SDP, "ice-ufrag") {
		return ErrNoRollback // an ICE restart cannot be taken back
	}
	c.mu.Lock()
	role := c.remoteSetup
	c.mu.Unlock()
	if role == "" {
		role = "active"
	}
	fixSetup := func(attrs []sdp.Attribute) {
		for i := range attrs {
			if attrs[i].Key == "setup" {
				attrs[i].Value = role
			}
		}
	}
	fixSetup(ps.Attributes)
	for _, md := range ps.MediaDescriptions {
		fixSetup(md.Attributes)
	}
	for i := len(ps.MediaDescriptions); i < len(ls.MediaDescriptions); i++ {
		lm := ls.MediaDescriptions[i]
		md := &sdp.MediaDescription{
			MediaName: sdp.MediaName{Media: lm.MediaName.Media, Port: sdp.RangedPort{Value: 0},
				Protos: lm.MediaName.Protos, Formats: lm.MediaName.Formats},
		}
		for _, a := range lm.Attributes {
			switch a.Key {
			case "mid", "rtpmap", "fmtp", "rtcp-mux":
				md.Attributes = append(md.Attributes, a)
			}
		}
		md.Attributes = append(md.Attributes, sdp.NewPropertyAttribute("inactive"))
		ps.MediaDescriptions = append(ps.MediaDescriptions, md)
	}
	b, err := ps.Marshal()
	if err != nil {
		return err
	}
	return c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(b)})
}

// AcceptOffer takes the peer's offer (initial or re-offer) and returns our
// complete answer: the DTLS role the offer leaves us (active to actpass),
// c= and m= port of the default candidate, and the offer's transport
// mirrored (no BUNDLE group, a=mid or rtcp-mux the offer did not have).
// Without BUNDLE the call runs on the first live audio line; any other
// live line is rejected (port 0) with the reason logged. A pending local
// offer is rolled back (glare is the signalling layer's to resolve).
func (c *Call) AcceptOffer(ctx context.Context, offer string) (string, error) {
	c.negMu.Lock()
	defer c.negMu.Unlock()
	if c.closedNow() {
		return "", ErrClosed
	}
	view, secs, shape, err := peerView(offer, nil)
	if err != nil {
		return "", fmt.Errorf("media: bad offer: %w", err)
	}
	if err := c.rollbackLocal(); err != nil {
		return "", fmt.Errorf("media: rollback of our pending offer: %w", err)
	}
	c.mu.Lock()
	c.pending = nil
	c.mu.Unlock()
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: view}); err != nil {
		return "", err
	}
	video := false
	for _, s := range secs {
		if s.Kind == "video" && !s.Rejected {
			video = true
		}
	}
	c.mu.Lock()
	wantVideo := c.want[kVideo] != Inactive
	c.mu.Unlock()
	if video && (wantVideo || c.hasVideoTrack()) {
		if err := c.ensureVideo(); err != nil {
			return "", err
		}
	}
	// Re-apply codec preferences now that the remote's numbering is known.
	for _, tr := range c.pc.GetTransceivers() {
		if tr.Sender() == nil {
			continue
		}
		switch tr.Sender().Track() {
		case c.audio:
			_ = tr.SetCodecPreferences(c.audioPrefs())
		default:
			if vp := c.videoPrefs(); vp != nil && tr.Kind() == webrtc.RTPCodecTypeVideo {
				_ = tr.SetCodecPreferences(vp)
			}
		}
	}
	ans, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	raw, err := c.gather(ctx, ans)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	dirs := map[string]Direction{}
	for _, s := range secs {
		k := kindIndex(s.Kind)
		c.kindOf[s.Mid] = k
		dirs[s.Mid] = s.Dir.Mirror() & c.localDir(k)
	}
	wire, err := toWire(raw, wireOpts{dirOf: func(mid string) (Direction, bool) { d, ok := dirs[mid]; return d, ok }, extra: c.extraAttrs, peer: &shape})
	if err != nil {
		return "", err
	}
	for _, why := range rejectedStreams(shape, raw) {
		c.log.Warn("media: stream rejected (port 0 in the answer)", "why", why)
	}
	for mid, d := range dirs {
		c.local[mid] = d
	}
	if c.remoteSetup == "" { // we answered first: the peer has the other role
		if sdpValue(raw, "setup") == "passive" {
			c.remoteSetup = "active"
		} else {
			c.remoteSetup = "passive"
		}
	}
	c.noteRemote(secs, raw)
	c.armConnectTimerLocked()
	return wire, nil
}

// SetAnswer takes the peer's answer to our last offer.
func (c *Call) SetAnswer(answer string) error {
	c.negMu.Lock()
	defer c.negMu.Unlock()
	if c.closedNow() {
		return ErrClosed
	}
	var ours []string
	if ld := c.pc.PendingLocalDescription(); ld != nil {
		ours = midsOf(ld.SDP)
	} else if ld := c.pc.LocalDescription(); ld != nil {
		ours = midsOf(ld.SDP)
	}
	view, secs, _, err := peerView(answer, ours)
	if err != nil {
		return fmt.Errorf("media: bad answer: %w", err)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: view}); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for mid, d := range c.pending {
		c.local[mid] = d
	}
	c.pending = nil
	if c.remoteSetup == "" {
		c.remoteSetup = sdpValue(answer, "setup")
	}
	c.noteRemote(secs, c.pc.LocalDescription().SDP)
	c.armConnectTimerLocked()
	return nil
}

// noteRemote records the peer's SDP and works out what may flow. c.mu held.
func (c *Call) noteRemote(secs []mediaSection, localRaw string) {
	for _, s := range secs {
		k := kindIndex(s.Kind)
		c.kindOf[s.Mid] = k
		c.remote[s.Mid] = s.Dir
		c.rejected[s.Mid] = s.Rejected
	}
	var send, recv [2]bool
	for mid, k := range c.kindOf {
		r, ok := c.remote[mid]
		if !ok || c.rejected[mid] {
			continue
		}
		l := c.local[mid]
		send[k] = send[k] || (l.Sends() && r.Receives())
		recv[k] = recv[k] || (l.Receives() && r.Sends())
	}
	for k := range 2 {
		c.sendOK[k].Store(send[k])
		c.recvOK[k].Store(recv[k])
	}
	c.negotiated = true
	// Payload types the peer may send us: ours and the ones it declared.
	t := defaultPTKinds()
	add := func(ss []mediaSection) {
		for _, s := range ss {
			if s.Kind != "audio" {
				continue
			}
			for pt, name := range s.Codecs {
				switch {
				case pt >= 128:
				case strings.HasPrefix(name, "pcmu/"):
					t[pt] = plPCMU
				case strings.HasPrefix(name, "pcma/"):
					t[pt] = plPCMA
				case strings.HasPrefix(name, "telephone-event/8000"):
					t[pt] = plTE
				case strings.HasPrefix(name, "telephone-event/48000"):
					t[pt] = plTE48
				case strings.HasPrefix(name, "opus/48000") && opusAvailable:
					t[pt] = plOpus
				}
			}
		}
	}
	if ls, err := parseSDP(localRaw); err == nil {
		add(ls)
	}
	add(secs)
	c.ptKinds.Store(t)
	c.log.Debug("media negotiated", "send_audio", send[0], "recv_audio", recv[0], "send_video", send[1], "recv_video", recv[1])
}

// SetDirections changes the wanted directions (the spec's ints); they take
// effect in the next offer or answer.
func (c *Call) SetDirections(audio, video Direction) error {
	if !audio.valid() || !video.valid() {
		return ErrBadDirection
	}
	c.mu.Lock()
	c.want = [2]Direction{audio, video}
	c.mu.Unlock()
	return nil
}

// Directions returns the wanted directions.
func (c *Call) Directions() (audio, video Direction) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.want[0], c.want[1]
}

// NegotiatedDirections returns, per kind, whether media is sent and
// received now according to the last offer/answer (hold not counted).
func (c *Call) NegotiatedDirections() (audio, video Direction) {
	d := func(k int) Direction {
		var x Direction
		if c.sendOK[k].Load() {
			x |= SendOnly
		}
		if c.recvOK[k].Load() {
			x |= RecvOnly
		}
		return x
	}
	return d(kAudio), d(kVideo)
}

// SetHold puts the call on local hold (the next offer says sendonly, or
// inactive where we only received) and stops sending at once; false
// resumes sending, and the next offer restores the directions.
func (c *Call) SetHold(on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed {
		return ErrClosed
	}
	c.held = on
	return nil
}

// Held reports whether the call is on local hold.
func (c *Call) Held() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
}

// SetMuted sends silence instead of the source while on (the stream and
// its timing stay alive, so NATs and the peer's jitter buffer do not
// notice). DTMF is still sent.
func (c *Call) SetMuted(on bool) { c.muted.Store(on) }

// Muted reports whether the call is muted.
func (c *Call) Muted() bool { return c.muted.Load() }

// SetAudioSource sets what the call sends; nil sends silence.
func (c *Call) SetAudioSource(src AudioSource) {
	c.mu.Lock()
	c.src, c.srcDone = src, false
	c.mu.Unlock()
}

// AddAudioSink adds a receiver of the call's played-out audio; the
// returned function removes it.
func (c *Call) AddAudioSink(s AudioSink) (remove func()) {
	id := c.sinkSeq.Add(1)
	c.mu.Lock()
	old := *c.sinks.Load()
	n := append(append(make([]sinkEntry, 0, len(old)+1), old...), sinkEntry{id, s})
	c.sinks.Store(&n)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		old := *c.sinks.Load()
		n := make([]sinkEntry, 0, len(old))
		for _, e := range old {
			if e.id != id {
				n = append(n, e)
			}
		}
		c.sinks.Store(&n)
	}
}

// OnVideoFrame sets the receiver of whole encoded video frames (codec
// "VP8" or "H264", the frame, its 90 kHz RTP timestamp). fn runs on the
// video reader goroutine: it must not block, and it owns frame.
func (c *Call) OnVideoFrame(fn func(codec string, frame []byte, ts uint32)) {
	if fn == nil {
		c.videoFn.Store(nil)
		return
	}
	c.videoFn.Store(&fn)
}

func (c *Call) closedNow() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

func (c *Call) onConnState(s webrtc.PeerConnectionState) {
	var st State
	switch s {
	case webrtc.PeerConnectionStateNew:
		st = StateNew
	case webrtc.PeerConnectionStateConnecting:
		st = StateChecking
	case webrtc.PeerConnectionStateConnected:
		st = StateConnected
	case webrtc.PeerConnectionStateDisconnected:
		st = StateDisconnected
	case webrtc.PeerConnectionStateFailed:
		st = StateFailed
	case webrtc.PeerConnectionStateClosed:
		st = StateClosed
	default:
		return
	}
	c.connected.Store(st == StateConnected)
	c.mu.Lock()
	c.state = st
	failNow := ""
	switch st {
	case StateConnected:
		c.everUp = true
		c.stopConnectTimerLocked()
	case StateFailed:
		failNow = c.failedLocked("ICE/DTLS failed")
	}
	c.mu.Unlock()
	if st == StateConnected {
		c.kickSender()
	}
	c.log.Debug("media state", "state", st)
	if fn := c.opts.OnState; fn != nil {
		c.ev.push(func() { fn(st) })
	}
	if failNow != "" {
		c.reportConnectFailed(failNow)
	}
}

// armConnectTimerLocked starts the connect deadline of an exchange that
// just completed, unless the connection is up. c.mu held.
func (c *Call) armConnectTimerLocked() {
	c.negotiatedAt = time.Now()
	c.connFailed = false
	c.stopConnectTimerLocked()
	if why := c.earlyFail; why != "" && !c.everUp && !c.isClosed {
		// It failed before this exchange was even recorded (the transport
		// starts inside SetRemoteDescription): report it now.
		c.earlyFail = ""
		c.connFailed = true
		c.reportConnectFailed(fmt.Sprintf("%s right after the offer/answer, before media ever connected (%s)", why, c.transportStateLocked()))
		return
	}
	d := c.e.cfg.ConnectTimeout
	if d <= 0 || c.state == StateConnected || c.isClosed {
		return
	}
	c.connGen++
	gen := c.connGen
	c.connTimer = time.AfterFunc(d, func() { c.connectTimedOut(gen, d) })
}

// failedLocked notes a transport failure; it returns the reason to
// report now ("" when there is none to report: media came up before, it
// was reported already, or no exchange is recorded yet, in which case
// armConnectTimerLocked reports it). c.mu held.
func (c *Call) failedLocked(what string) string {
	if c.everUp || c.connFailed || c.isClosed {
		return ""
	}
	if c.negotiatedAt.IsZero() {
		c.earlyFail = what
		return ""
	}
	c.connFailed = true
	c.stopConnectTimerLocked()
	return fmt.Sprintf("%s %.1f s after the offer/answer, before media ever connected (%s)",
		what, time.Since(c.negotiatedAt).Seconds(), c.transportStateLocked())
}

// transportFailed reports an ICE or DTLS transport failure before media
// ever connected.
func (c *Call) transportFailed(what string) {
	c.mu.Lock()
	r := c.failedLocked(what)
	c.mu.Unlock()
	if r != "" {
		c.reportConnectFailed(r)
	}
}

func (c *Call) stopConnectTimerLocked() {
	if c.connTimer != nil {
		c.connTimer.Stop()
		c.connTimer = nil
	}
}

func (c *Call) connectTimedOut(gen uint64, d time.Duration) {
	c.mu.Lock()
	if c.connGen != gen || c.connTimer == nil || c.isClosed || c.state == StateConnected || c.connFailed {
		c.mu.Unlock()
		return
	}
	c.connTimer = nil
	c.connFailed = true
	reason := fmt.Sprintf("media did not connect within %v of the offer/answer (%s)", d, c.transportStateLocked())
	c.mu.Unlock()
	c.reportConnectFailed(reason)
}

// transportStateLocked says which step is stuck: ICE (no working
// candidate pair) or DTLS (ICE up, no handshake, or a failed one).
func (c *Call) transportStateLocked() string {
	ice := c.pc.ICEConnectionState()
	dtls := webrtc.DTLSTransportStateNew
	if sc := c.pc.SCTP(); sc != nil && sc.Transport() != nil {
		dtls = sc.Transport().State()
	}
	switch {
	case dtls == webrtc.DTLSTransportStateFailed:
		return "DTLS handshake failed, ICE " + ice.String()
	case ice == webrtc.ICEConnectionStateConnected || ice == webrtc.ICEConnectionStateCompleted:
		return "ICE connected, DTLS handshake not done"
	case ice == webrtc.ICEConnectionStateNew:
		return "ICE never started checking"
	case ice == webrtc.ICEConnectionStateClosed:
		return "ICE closed before media connected, DTLS " + dtls.String()
	}
	return "ICE " + ice.String() + ": no working candidate pair"
}

// reportConnectFailed logs and queues OnConnectFailed; it takes no lock
// of the call (callers may hold c.mu).
func (c *Call) reportConnectFailed(reason string) {
	c.log.Warn("media: connection failed", "reason", reason)
	if fn := c.opts.OnConnectFailed; fn != nil {
		c.ev.push(func() { fn(reason) })
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
