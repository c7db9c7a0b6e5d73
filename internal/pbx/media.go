package pbx

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// The PBX's media leg: one pion PeerConnection per call. pion is kept at
// sendrecv on every m= line; the directions that are really in force are
// the ones written on the wire (offer and answer), rewritten by the PBX,
// and the leg only writes a stream when both SDPs allow it. That keeps
// hold, one-way media and change_media independent of pion's transceiver
// direction rules.

// newAPI builds the pion API every leg of a PBX shares: G.711 and
// telephone-event for audio, VP8 and H.264 for video, host candidates on
// the loopback only, and no interceptors (an empty registry: pion's
// defaults would send reports of their own beside rtcp.go's, which the
// impairments delay).
func newAPI(ipFilter func(net.IP) bool) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	audio := []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000, Channels: 1}, PayloadType: 8},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: 101},
	}
	for _, c := range audio {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	video := []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}, PayloadType: 102},
	}
	for _, c := range video {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
	}
	if ipFilter == nil {
		ipFilter = func(ip net.IP) bool { return ip.IsLoopback() }
	}
	s := webrtc.SettingEngine{}
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(ipFilter)
	s.SetRemoteIPFilter(ipFilter)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s), webrtc.WithInterceptorRegistry(&interceptor.Registry{})), nil
}

// rawTrack is a TrackLocal that writes whole RTP packets with the payload
// type it is told (so telephone-event can share the audio SSRC), which
// pion's TrackLocalStaticRTP does not allow.
type rawTrack struct {
	id, stream string
	kind       webrtc.RTPCodecType

	mu     sync.Mutex
	bound  bool
	ssrc   uint32
	pt     uint8
	mime   string
	dtmfPT uint8
	hasDTM bool
	w      webrtc.TrackLocalWriter
}

func newRawTrack(kind webrtc.RTPCodecType) *rawTrack {
	return &rawTrack{id: kind.String(), stream: "pbx-" + randHex(4), kind: kind}
}

func (t *rawTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var chosen *webrtc.RTPCodecParameters
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hasDTM = false
	for i, c := range ctx.CodecParameters() {
		mime := strings.ToLower(c.MimeType)
		switch {
		case mime == "audio/telephone-event" && c.ClockRate == 8000:
			t.dtmfPT, t.hasDTM = uint8(c.PayloadType), true
		case strings.HasPrefix(mime, t.kind.String()+"/") && !strings.HasSuffix(mime, "/rtx") &&
			mime != "audio/telephone-event" && chosen == nil:
			chosen = &ctx.CodecParameters()[i]
		}
	}
	if chosen == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.bound = true
	t.ssrc = uint32(ctx.SSRC())
	t.pt = uint8(chosen.PayloadType)
	t.mime = strings.ToLower(chosen.MimeType)
	t.w = ctx.WriteStream()
	return *chosen, nil
}

func (t *rawTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.bound = false
	t.mu.Unlock()
	return nil
}

func (t *rawTrack) ID() string                { return t.id }
func (t *rawTrack) RID() string               { return "" }
func (t *rawTrack) StreamID() string          { return t.stream }
func (t *rawTrack) Kind() webrtc.RTPCodecType { return t.kind }

// codec returns the bound payload type, mime and telephone-event type.
func (t *rawTrack) codec() (bound bool, pt uint8, mime string, dtmfPT uint8, hasDTMF bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bound, t.pt, t.mime, t.dtmfPT, t.hasDTM
}

func (t *rawTrack) write(h *rtp.Header, payload []byte) error {
	t.mu.Lock()
	w, ok, ssrc := t.w, t.bound, t.ssrc
	t.mu.Unlock()
	if !ok {
		return nil
	}
	h.Version = 2
	h.SSRC = ssrc
	_, err := w.WriteRTP(h, payload)
	return err
}

// StreamStats counts one direction of one kind of media.
type StreamStats struct {
	Packets uint64
	Bytes   uint64
	First   time.Time // first packet
	Last    time.Time // latest packet
}

func (s *StreamStats) add(n int, now time.Time) {
	s.Packets++
	s.Bytes += uint64(n)
	if s.First.IsZero() {
		s.First = now
	}
	s.Last = now
}

// DTMFMode says how a digit reached the PBX.
type DTMFMode string

// The three ways the spec's dtmf request can travel.
const (
	DTMFRFC4733 DTMFMode = "rfc4733" // spec type 3
	DTMFInfo    DTMFMode = "info"    // spec type 0
	DTMFInband  DTMFMode = "inband"  // spec type 1
)

// DTMFDigit is one received digit.
type DTMFDigit struct {
	Digit string
	Mode  DTMFMode
	At    time.Time
}

const ringSamples = SampleRate // 1 s of received audio kept for analysis

type mediaLeg struct {
	pc    *webrtc.PeerConnection
	audio *rawTrack
	video *rawTrack

	toneHz, toneAmp float64
	onFirstAudio    func(time.Time)
	onDigit         func(DTMFDigit)

	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu        sync.Mutex
	want      [2]Direction         // PBX-side wish per kind (0 audio, 1 video), PBX perspective
	held      bool                 // PBX-initiated hold: offer inactive
	local     map[string]Direction // mid → direction in the PBX's last SDP
	remote    map[string]Direction // mid → direction in the agent's last SDP
	rejected  map[string]bool
	kindOf    map[string]int
	haveVideo bool
	sendKind  [2]bool // PBX may send audio / video now
	rx, tx    [2]StreamStats
	ring      []int16
	ringPos   int
	ringLen   int
	digits    []DTMFDigit
	det       DTMFDetector
	lastEvTS  uint32
	haveEvTS  bool
	firstSeen bool
	active    bool // the call is answered: the leg may send

	imp  Impairment // what a test's knobs do to the media (impair.go)
	late *delayLine // the packets the impairment holds back
	rr   rxReport   // the agent's audio, for the receiver reports (rtcp.go)
	// echo: the leg sends back the audio it receives (the echo extension)
	// instead of the tone; echoBuf holds it meanwhile, echoing says the
	// buffer has filled enough to play from.
	echo    bool
	echoBuf []int16
	echoing bool
}

// activate lets the leg send (the call is answered).
func (m *mediaLeg) activate() {
	m.mu.Lock()
	m.active = true
	m.mu.Unlock()
}

// rollback drops a local offer that was not answered, or a remote offer
// that could not be answered.
func (m *mediaLeg) rollback() {
	switch m.pc.SignalingState() {
	case webrtc.SignalingStateHaveLocalOffer:
		_ = m.pc.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback})
	case webrtc.SignalingStateHaveRemoteOffer:
		_ = m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback})
	}
}

func kindIndex(k string) int {
	if k == "video" {
		return 1
	}
	return 0
}

// echo makes a leg that sends back what it receives (Config.EchoNumber).
func newMediaLeg(api *webrtc.API, toneHz, toneAmp float64, echo bool) (*mediaLeg, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle})
	if err != nil {
		return nil, err
	}
	m := &mediaLeg{
		pc:       pc,
		audio:    newRawTrack(webrtc.RTPCodecTypeAudio),
		toneHz:   toneHz,
		toneAmp:  toneAmp,
		closed:   make(chan struct{}),
		want:     [2]Direction{SendRecv, SendRecv},
		local:    map[string]Direction{},
		remote:   map[string]Direction{},
		rejected: map[string]bool{},
		kindOf:   map[string]int{},
		ring:     make([]int16, ringSamples),
		late:     newDelayLine(),
		echo:     echo,
	}
	m.det.OnDigit = func(d byte) { m.addDigit(string(d), DTMFInband) }
	pc.OnTrack(m.onTrack)
	m.wg.Add(2)
	go m.sendLoop()
	go func() { defer m.wg.Done(); m.late.run(m.closed) }()
	return m, nil
}

func (m *mediaLeg) close() {
	m.closeOnce.Do(func() {
		close(m.closed)
		_ = m.pc.Close()
	})
	m.wg.Wait()
}

// ensureTracks attaches the audio track, and the video track when video is
// wanted, to pion transceivers (reusing ones a remote offer created).
func (m *mediaLeg) ensureTracks(video bool) error {
	hasSender := func(t *rawTrack) bool {
		for _, s := range m.pc.GetSenders() {
			if s.Track() == t {
				return true
			}
		}
		return false
	}
	if !hasSender(m.audio) {
		if _, err := m.pc.AddTrack(m.audio); err != nil {
			return err
		}
	}
	if video {
		// m.video is read by sendLoop: set it under m.mu (a re-INVITE can
		// add video while the leg is sending).
		m.mu.Lock()
		if m.video == nil {
			m.video = newRawTrack(webrtc.RTPCodecTypeVideo)
		}
		vt := m.video
		m.mu.Unlock()
		if !hasSender(vt) {
			if _, err := m.pc.AddTrack(vt); err != nil {
				return err
			}
		}
	}
	return nil
}

// gather sets desc as the local description and returns the complete SDP
// once ICE gathering is done.
func (m *mediaLeg) gather(desc webrtc.SessionDescription) (string, error) {
	done := webrtc.GatheringCompletePromise(m.pc)
	if err := m.pc.SetLocalDescription(desc); err != nil {
		return "", err
	}
	select {
	case <-done:
	case <-m.closed:
		return "", errors.New("media closed")
	case <-time.After(10 * time.Second):
		return "", errors.New("ICE gathering did not complete")
	}
	return m.pc.LocalDescription().SDP, nil
}

// pbxDir is the direction the PBX puts in its SDP for a kind.
func (m *mediaLeg) pbxDir(kind int) Direction {
	if m.held {
		return Inactive
	}
	return m.want[kind]
}

// createOffer makes a complete offer with the wire directions of the
// current wish (want, held).
func (m *mediaLeg) createOffer() (string, error) {
	m.mu.Lock()
	video := m.want[1] != Inactive || m.haveVideo
	m.mu.Unlock()
	if err := m.ensureTracks(video); err != nil {
		return "", err
	}
	offer, err := m.pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	sdpText, err := m.gather(offer)
	if err != nil {
		return "", err
	}
	secs, err := parseSDP(sdpText)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dirs := map[string]Direction{}
	for _, s := range secs {
		k := kindIndex(s.Kind)
		m.kindOf[s.Mid] = k
		dirs[s.Mid] = m.pbxDir(k)
		if k == 1 {
			m.haveVideo = true
		}
	}
	wire, err := setDirections(sdpText, func(mid string) (Direction, bool) { d, ok := dirs[mid]; return d, ok })
	if err != nil {
		return "", err
	}
	for mid, d := range dirs {
		m.local[mid] = d
	}
	return wire, nil
}

// pionView rewrites a remote SDP so that pion sees every live m= line as
// sendrecv; it returns the sections as they really are.
func pionView(raw string) (string, []mediaSection, error) {
	secs, err := parseSDP(raw)
	if err != nil {
		return "", nil, err
	}
	rej := map[string]bool{}
	for _, s := range secs {
		rej[s.Mid] = s.Rejected
	}
	view, err := setDirections(raw, func(mid string) (Direction, bool) { return SendRecv, !rej[mid] })
	return view, secs, err
}

// applyAnswer takes the agent's answer to the PBX's last offer.
func (m *mediaLeg) applyAnswer(raw string) error {
	view, secs, err := pionView(raw)
	if err != nil {
		return err
	}
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: view}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.noteRemote(secs)
	return nil
}

// answerOffer takes an offer from the agent (first INVITE or re-INVITE) and
// returns the PBX's complete answer.
func (m *mediaLeg) answerOffer(raw string) (string, error) {
	view, secs, err := pionView(raw)
	if err != nil {
		return "", err
	}
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: view}); err != nil {
		return "", err
	}
	video := false
	for _, s := range secs {
		if s.Kind == "video" && !s.Rejected {
			video = true
		}
	}
	if err := m.ensureTracks(video); err != nil {
		return "", err
	}
	ans, err := m.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	sdpText, err := m.gather(ans)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dirs := map[string]Direction{}
	for _, s := range secs {
		k := kindIndex(s.Kind)
		m.kindOf[s.Mid] = k
		if k == 1 && !s.Rejected {
			m.haveVideo = true
		}
		// The PBX answers what the agent offers, within its own wish.
		dirs[s.Mid] = s.Dir.Mirror() & m.pbxDir(k)
	}
	wire, err := setDirections(sdpText, func(mid string) (Direction, bool) { d, ok := dirs[mid]; return d, ok })
	if err != nil {
		return "", err
	}
	for mid, d := range dirs {
		m.local[mid] = d
	}
	m.noteRemote(secs)
	return wire, nil
}

// noteRemote records the agent's SDP and works out what may flow. m.mu held.
func (m *mediaLeg) noteRemote(secs []mediaSection) {
	m.sendKind = [2]bool{}
	for _, s := range secs {
		k := kindIndex(s.Kind)
		m.kindOf[s.Mid] = k
		m.remote[s.Mid] = s.Dir
		m.rejected[s.Mid] = s.Rejected
		if !s.Rejected && m.local[s.Mid].Sends() && s.Dir.Receives() {
			m.sendKind[k] = true
		}
	}
}

// agentDir is the direction the agent declared for a kind (agent
// perspective, the spec's int); -1 if there is no such m= line.
func (m *mediaLeg) agentDir(kind int) Direction {
	for mid, k := range m.kindOf {
		if k == kind {
			if m.rejected[mid] {
				return Inactive
			}
			if d, ok := m.remote[mid]; ok {
				return d
			}
		}
	}
	return -1
}

func (m *mediaLeg) sendLoop() {
	defer m.wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	gen := ToneGen{Freqs: []float64{m.toneHz}, Amplitude: m.toneAmp}
	pcm := make([]int16, FrameSamples)
	payload := make([]byte, FrameSamples)
	aseq, ats := uint16(rand.Uint32()), rand.Uint32()
	vseq, vts := uint16(rand.Uint32()), rand.Uint32()
	gap := true
	for n := 0; ; n++ {
		select {
		case <-m.closed:
			return
		case <-tick.C:
		}
		ats += FrameSamples
		m.mu.Lock()
		sendA, sendV := m.active && m.sendKind[0], m.active && m.sendKind[1]
		vtrack := m.video
		imp := m.imp
		if m.echo && sendA && !imp.Silence {
			m.echoFrame(pcm)
		}
		m.mu.Unlock()
		if bound, pt, mime, _, _ := m.audio.codec(); sendA && bound && !imp.Silence {
			if !m.echo {
				gen.Fill(pcm)
			}
			alaw := mime == strings.ToLower(webrtc.MimeTypePCMA)
			for i, s := range pcm {
				if alaw {
					payload[i] = EncodeALaw(s)
				} else {
					payload[i] = EncodeULaw(s)
				}
			}
			h := rtp.Header{PayloadType: pt, SequenceNumber: aseq, Timestamp: ats, Marker: gap}
			aseq++
			gap = false
			m.sendAudio(imp, h, payload)
		} else {
			gap = true
		}
		// Video: a small synthetic frame (a VP8 descriptor and filler, not
		// decodable) ten times a second, so the far end can count packets.
		if n%5 == 0 {
			vts += 9000
			if vtrack != nil && sendV {
				if bound, pt, _, _, _ := vtrack.codec(); bound {
					frame := []byte{0x10, 0x00, 0x9d, 0x01, 0x2a, 'p', 'b', 'x'}
					h := rtp.Header{PayloadType: pt, SequenceNumber: vseq, Timestamp: vts, Marker: true}
					vseq++
					if err := vtrack.write(&h, frame); err == nil {
						m.mu.Lock()
						m.tx[1].add(len(frame), time.Now())
						m.mu.Unlock()
					}
				}
			}
		}
	}
}

func (m *mediaLeg) onTrack(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
	kind := 0
	if tr.Kind() == webrtc.RTPCodecTypeVideo {
		kind = 1
	}
	if kind == 0 {
		m.wg.Add(1)
		go m.readRTCP(rcv)
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		buf := make([]byte, 1500)
		var pkt rtp.Packet
		for {
			n, _, err := tr.Read(buf)
			if err != nil {
				select {
				case <-m.closed:
					return
				default:
				}
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
					return
				}
				continue
			}
			if pkt.Unmarshal(buf[:n]) != nil {
				continue
			}
			m.onRTP(kind, &pkt, n)
		}
	}()
}

func (m *mediaLeg) onRTP(kind int, pkt *rtp.Packet, size int) {
	now := time.Now()
	var first func(time.Time)
	m.mu.Lock()
	if kind == 0 && m.imp.InLoss > 0 && rand.Float64() < m.imp.InLoss {
		m.mu.Unlock()
		return // lost on the way in
	}
	if kind == 0 {
		m.rr.add(pkt.SSRC, pkt.SequenceNumber, pkt.Timestamp, now)
	}
	m.rx[kind].add(size, now)
	if kind == 0 && !m.firstSeen {
		m.firstSeen = true
		first = m.onFirstAudio
	}
	m.mu.Unlock()
	if first != nil {
		first(now)
	}
	if kind != 0 {
		return
	}
	switch {
	case pkt.PayloadType == 0 || pkt.PayloadType == 8:
		pcm := make([]int16, len(pkt.Payload))
		for i, b := range pkt.Payload {
			if pkt.PayloadType == 8 {
				pcm[i] = DecodeALaw(b)
			} else {
				pcm[i] = DecodeULaw(b)
			}
		}
		m.mu.Lock()
		for _, s := range pcm {
			m.ring[m.ringPos] = s
			m.ringPos = (m.ringPos + 1) % len(m.ring)
		}
		m.ringLen = min(m.ringLen+len(pcm), len(m.ring))
		if m.echo {
			m.echoBuf = append(m.echoBuf, pcm...)
			if over := len(m.echoBuf) - echoMax; over > 0 {
				m.echoBuf = append(m.echoBuf[:0], m.echoBuf[over:]...)
			}
		}
		m.mu.Unlock()
		m.det.Write(pcm) // only this goroutine uses det
	case len(pkt.Payload) >= 4:
		// RFC 4733 telephone-event: every packet of one event carries the
		// event's start timestamp; report the digit once per event.
		code := pkt.Payload[0]
		m.mu.Lock()
		isNew := !m.haveEvTS || pkt.Timestamp != m.lastEvTS
		m.lastEvTS, m.haveEvTS = pkt.Timestamp, true
		m.mu.Unlock()
		if d, ok := DTMFEventDigit(code); ok && isNew {
			m.addDigit(string(d), DTMFRFC4733)
		}
	}
}

func (m *mediaLeg) addDigit(d string, mode DTMFMode) {
	dd := DTMFDigit{Digit: d, Mode: mode, At: time.Now()}
	m.mu.Lock()
	m.digits = append(m.digits, dd)
	cb := m.onDigit
	m.mu.Unlock()
	if cb != nil {
		cb(dd)
	}
}

// recent returns the last n received samples (fewer if not yet received).
func (m *mediaLeg) recent(n int) []int16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	n = min(n, m.ringLen)
	out := make([]int16, n)
	start := (m.ringPos - n + len(m.ring)) % len(m.ring)
	for i := range out {
		out[i] = m.ring[(start+i)%len(m.ring)]
	}
	return out
}

func (m *mediaLeg) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("audio rx=%d tx=%d video rx=%d tx=%d", m.rx[0].Packets, m.tx[0].Packets, m.rx[1].Packets, m.tx[1].Packets)
}

// echoStart and echoMax bound the echo's buffer: it starts playing once
// 40 ms are in (so that packets arriving a little unevenly do not make it
// run dry at once) and never holds more than 200 ms (the oldest go).
const (
	echoStart = 2 * FrameSamples
	echoMax   = 10 * FrameSamples
)

// echoFrame fills pcm with the next frame of received audio to echo, or
// silence while the buffer fills. m.mu held.
func (m *mediaLeg) echoFrame(pcm []int16) {
	if !m.echoing && len(m.echoBuf) >= echoStart {
		m.echoing = true
	}
	if !m.echoing || len(m.echoBuf) < len(pcm) {
		m.echoing = false
		clear(pcm)
		return
	}
	copy(pcm, m.echoBuf)
	m.echoBuf = append(m.echoBuf[:0], m.echoBuf[len(pcm):]...)
}
