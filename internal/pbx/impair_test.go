package pbx_test

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	. "github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/cloudcc/agent-sdk/internal/pbx/pbxtest"

	"github.com/emiago/sipgo"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// The echo extension, the PBX's receiver reports and the impairment knobs,
// seen from a test peer that sends its own tone and RTCP and measures what
// comes back by itself.

const echoNumber = "9196"

// echoPeer is a call the test agent placed, with a PCMU track of its own
// (a tone, 20 ms a packet) and a record of every packet received.
type echoPeer struct {
	t     *testing.T
	pc    *webrtc.PeerConnection
	sess  *sipgo.DialogClientSession
	track *webrtc.TrackLocalStaticRTP
	snd   *webrtc.RTPSender
	stop  chan struct{}
	wg    sync.WaitGroup

	mu   sync.Mutex
	pkts []rxPkt
	pcm  []int16 // the last second received
	rrs  []rtcp.ReceptionReport
	rrAt []time.Time
}

type rxPkt struct {
	seq uint16
	ts  uint32
	at  time.Time
}

func dialEcho(t *testing.T, a *pbxtest.Agent, uuid string, toneHz float64) *echoPeer {
	t.Helper()
	ep := &echoPeer{t: t, stop: make(chan struct{})}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, "audio", "peer")
	if err != nil {
		t.Fatal(err)
	}
	ep.track = track
	ctx := ctxT(t, 15*time.Second)
	sess, pc, err := a.DialWith(ctx, echoNumber, uuid, func(pc *webrtc.PeerConnection) error {
		s, err := pc.AddTrack(track)
		ep.snd = s
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ep.pc, ep.sess = pc, sess
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			ep.mu.Lock()
			ep.pkts = append(ep.pkts, rxPkt{seq: p.SequenceNumber, ts: p.Timestamp, at: time.Now()})
			for _, b := range p.Payload {
				ep.pcm = append(ep.pcm, DecodeULaw(b))
			}
			if len(ep.pcm) > SampleRate {
				ep.pcm = ep.pcm[len(ep.pcm)-SampleRate:]
			}
			ep.mu.Unlock()
		}
	})
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatalf("the echo extension did not answer: %v", err)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(sess.InviteResponse.Body())}); err != nil {
		t.Fatal(err)
	}
	ep.wg.Add(2)
	go ep.sendTone(toneHz)
	go ep.readRTCP()
	t.Cleanup(ep.close)
	// Audio both ways: the PBX has the peer's stream to report on.
	waitFor(t, "audio from the PBX", func() bool { ep.mu.Lock(); defer ep.mu.Unlock(); return len(ep.pkts) > 5 })
	return ep
}

func (ep *echoPeer) sendTone(hz float64) {
	defer ep.wg.Done()
	gen := ToneGen{Freqs: []float64{hz}, Amplitude: 8000}
	pcm := make([]int16, FrameSamples)
	payload := make([]byte, FrameSamples)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var seq uint16
	var ts uint32
	for {
		select {
		case <-ep.stop:
			return
		case <-tick.C:
		}
		gen.Fill(pcm)
		for i, s := range pcm {
			payload[i] = EncodeULaw(s)
		}
		_ = ep.track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: ts}, Payload: payload})
		seq++
		ts += FrameSamples
	}
}

func (ep *echoPeer) readRTCP() {
	defer ep.wg.Done()
	for {
		pkts, _, err := ep.snd.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if rr, ok := p.(*rtcp.ReceiverReport); ok {
				ep.mu.Lock()
				for _, b := range rr.Reports {
					ep.rrs = append(ep.rrs, b)
					ep.rrAt = append(ep.rrAt, time.Now())
				}
				ep.mu.Unlock()
			}
		}
	}
}

func (ep *echoPeer) close() {
	select {
	case <-ep.stop:
		return
	default:
	}
	close(ep.stop)
	_ = ep.pc.Close()
	ep.wg.Wait()
}

func ntpNow() uint64 {
	now := time.Now()
	secs := uint64(now.Unix()) + 2208988800
	frac := uint64(now.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// rtt sends sender reports (one every 250 ms until one is answered: the
// PBX reports only on a stream it has received) and returns the round trip
// the first receiver report gives (LSR/DLSR), by the test's own clock.
func (ep *echoPeer) rtt() (time.Duration, rtcp.ReceptionReport) {
	ep.t.Helper()
	ssrc := uint32(ep.snd.GetParameters().Encodings[0].SSRC)
	sent := map[uint32]time.Time{}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ntp := ntpNow()
		sent[uint32(ntp>>16)] = time.Now()
		if err := ep.pc.WriteRTCP([]rtcp.Packet{&rtcp.SenderReport{SSRC: ssrc, NTPTime: ntp}}); err != nil {
			ep.t.Fatal(err)
		}
		for wait := time.Now().Add(250 * time.Millisecond); time.Now().Before(wait); {
			ep.mu.Lock()
			for i, b := range ep.rrs {
				if at, ok := sent[b.LastSenderReport]; ok && b.SSRC == ssrc {
					ep.rrs = ep.rrs[i+1:]
					got := ep.rrAt[i]
					ep.rrAt = ep.rrAt[i+1:]
					ep.mu.Unlock()
					dlsr := time.Duration(float64(b.Delay) / 65536 * float64(time.Second))
					return got.Sub(at) - dlsr, b
				}
			}
			ep.mu.Unlock()
			time.Sleep(5 * time.Millisecond) // poll interval
		}
	}
	ep.t.Fatal("no receiver report for the sender reports")
	return 0, rtcp.ReceptionReport{}
}

// window returns the packets received during d from now.
func (ep *echoPeer) window(d time.Duration) []rxPkt {
	ep.mu.Lock()
	from := len(ep.pkts)
	ep.mu.Unlock()
	time.Sleep(d) // a measurement window, not a wait for a condition
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]rxPkt(nil), ep.pkts[from:]...)
}

// lossOf is the share of packets missing from the sequence numbers of w.
func lossOf(w []rxPkt) float64 {
	if len(w) < 2 {
		return 1
	}
	lo, hi := int(w[0].seq), int(w[0].seq)
	for _, p := range w {
		s := int(w[0].seq) + int(int16(p.seq-w[0].seq))
		lo, hi = min(lo, s), max(hi, s)
	}
	return 1 - float64(len(w))/float64(hi-lo+1)
}

// jitterOf is the RFC 3550 interarrival jitter of w, in the order received.
func jitterOf(w []rxPkt) time.Duration {
	var j, prev float64
	for i, p := range w {
		transit := p.at.Sub(w[0].at).Seconds()*SampleRate - float64(int32(p.ts-w[0].ts))
		if i > 0 {
			j += (math.Abs(transit-prev) - j) / 16
		}
		prev = transit
	}
	return time.Duration(j / SampleRate * float64(time.Second))
}

func TestEchoExtension(t *testing.T) {
	p, addr := startPBX(t, func(c *Config) { c.EchoNumber = echoNumber }) // agent calls otherwise refused
	ev, stop := p.Subscribe()
	defer stop()
	a := registered(t, p, addr, "1001", 440)
	ep := dialEcho(t, a, "echo-test", 440)
	e := waitEvent(t, ev, "incoming", func(e Event) bool { return e.Type == EvIncoming })
	if !e.Echo || e.Target != echoNumber || e.UUID != "echo-test" {
		t.Fatalf("incoming %+v", e)
	}
	// The agent hears its own 440 Hz, not the PBX's tone.
	waitFor(t, "the agent's tone echoed back", func() bool {
		ep.mu.Lock()
		pcm := append([]int16(nil), ep.pcm...)
		ep.mu.Unlock()
		if len(pcm) < SampleRate/5 {
			return false
		}
		an := AnalyseTone(pcm[len(pcm)-SampleRate/5:], SampleRate)
		return math.Abs(an.PeakHz-440) < 5 && an.PeakRatio > 0.8
	})
	if s, _ := p.Snapshot("echo-test"); !s.Echo || s.State != "answered" {
		t.Fatalf("snapshot %+v", s)
	}
	// Every sender report gets a receiver report: on loopback the round
	// trip is short, and nothing is lost.
	rtt, rr := ep.rtt()
	if rtt < 0 || rtt > 100*time.Millisecond || rr.FractionLost != 0 || rr.TotalLost != 0 {
		t.Fatalf("clean path: rtt %v, report %+v", rtt, rr)
	}
}

func TestImpairments(t *testing.T) {
	p, addr := startPBX(t, func(c *Config) { c.EchoNumber = echoNumber })
	a := registered(t, p, addr, "1001", 440)

	// The extension's impairment applies to a call placed after it.
	if err := p.ImpairExt("1001", Impairment{Delay: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ep := dialEcho(t, a, "imp-1", 440)
	if s, _ := p.Snapshot("imp-1"); s.Impairment.Delay != 300*time.Millisecond {
		t.Fatalf("the extension's impairment is not the new call's: %+v", s.Impairment)
	}
	if rtt, _ := ep.rtt(); rtt < 300*time.Millisecond || rtt > 500*time.Millisecond {
		t.Fatalf("delay 300 ms: rtt %v", rtt)
	}

	// A call's own impairment replaces it, on the next packets.
	if err := p.Impair("imp-1", Impairment{Loss: 0.5}); err != nil {
		t.Fatal(err)
	}
	ep.window(400 * time.Millisecond) // the packets held by the delay drain
	if loss := lossOf(ep.window(2 * time.Second)); loss < 0.3 || loss > 0.7 {
		t.Fatalf("loss 0.5: measured %.2f", loss)
	}
	if rtt, _ := ep.rtt(); rtt > 100*time.Millisecond {
		t.Fatalf("the delay is still there: %v", rtt)
	}

	if err := p.Impair("imp-1", Impairment{Jitter: 40 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	w := ep.window(2 * time.Second)
	if j := jitterOf(w); j < 20*time.Millisecond || j > 80*time.Millisecond {
		t.Fatalf("jitter 40 ms: measured %v", j)
	}
	if loss := lossOf(w); loss > 0.1 { // only the packets still held at the window's end
		t.Fatalf("jitter alone lost %.2f", loss)
	}

	// Silence: no audio at all, then the stream goes on where it stopped.
	if err := p.Impair("imp-1", Impairment{Silence: true}); err != nil {
		t.Fatal(err)
	}
	ep.window(200 * time.Millisecond) // the jitter's held packets drain
	if w := ep.window(400 * time.Millisecond); len(w) != 0 {
		t.Fatalf("silence: %d packets", len(w))
	}
	if rtt, _ := ep.rtt(); rtt > 100*time.Millisecond { // RTCP goes on
		t.Fatalf("rtt in silence %v", rtt)
	}
	ep.mu.Lock()
	last := ep.pkts[len(ep.pkts)-1].seq
	for _, p := range ep.pkts[len(ep.pkts)-20:] { // the highest: the jitter reordered some
		if int16(p.seq-last) > 0 {
			last = p.seq
		}
	}
	ep.mu.Unlock()
	if err := p.Impair("imp-1", Impairment{}); err != nil {
		t.Fatal(err)
	}
	w = ep.window(500 * time.Millisecond)
	if len(w) < 15 || w[0].seq != last+1 || lossOf(w) != 0 {
		t.Fatalf("after the silence: %d packets, first seq %d after %d, loss %.2f", len(w), w[0].seq, last, lossOf(w))
	}

	// InLoss: half the agent's packets never arrive; the receiver reports
	// say so (the cumulative count: the peer's own sender reports reset
	// the fraction's interval every second).
	_, r0 := ep.rtt()
	if err := p.Impair("imp-1", Impairment{InLoss: 0.5}); err != nil {
		t.Fatal(err)
	}
	ep.window(2 * time.Second)
	_, r1 := ep.rtt()
	share := float64(r1.TotalLost-r0.TotalLost) / float64(r1.LastSequenceNumber-r0.LastSequenceNumber)
	if share < 0.3 || share > 0.7 || r1.FractionLost == 0 {
		t.Fatalf("in_loss 0.5: reports %+v then %+v", r0, r1)
	}

	if err := p.Impair("imp-1", Impairment{Loss: 1.5}); !errors.Is(err, ErrBadImpairment) {
		t.Fatalf("loss 1.5: %v", err)
	}
	if err := p.Impair("no-such-call", Impairment{}); !errors.Is(err, ErrNoCall) {
		t.Fatalf("unknown call: %v", err)
	}
	if err := p.ImpairExt("1001", Impairment{Jitter: -time.Second}); !errors.Is(err, ErrBadImpairment) {
		t.Fatalf("negative jitter: %v", err)
	}
}

func TestEchoNeedsRegistrationOnTheConnection(t *testing.T) {
	p, addr := startPBX(t, func(c *Config) { c.EchoNumber = echoNumber })
	a := pbxtest.NewAgent(t, addr, testDomain, "1001", 440) // not registered
	ctx := ctxT(t, 10*time.Second)
	sess, _, err := a.Dial(ctx, echoNumber, "")
	if err != nil {
		t.Fatal(err)
	}
	var de *sipgo.ErrDialogResponse
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); !errors.As(err, &de) || de.Res.StatusCode != 403 {
		t.Fatalf("echo call without a registration: %v", err)
	}
	if len(p.Calls()) != 0 {
		t.Fatalf("calls %v", p.Calls())
	}
}

// A jitter so large that 3×Jitter overflows a Duration is refused like any
// other out of range, not taken (each packet held for centuries: the
// audio would stop and the held packets pile up).
func TestImpairmentRangesDoNotOverflow(t *testing.T) {
	p, _ := startPBX(t, nil)
	const limit = 10 * time.Second // 3×Jitter and Delay at most
	for _, imp := range []Impairment{
		{Jitter: 4e18}, {Jitter: 3074457345618258603}, {Jitter: limit/3 + 1}, {Delay: limit + 1},
		{Loss: math.NaN()}, {InLoss: -0.1},
	} {
		if err := p.ImpairExt("1001", imp); !errors.Is(err, ErrBadImpairment) {
			t.Errorf("%+v: %v, want ErrBadImpairment", imp, err)
		}
	}
	if err := p.ImpairExt("1001", Impairment{Jitter: limit / 3, Delay: limit, Loss: 1, InLoss: 1}); err != nil {
		t.Errorf("the limits themselves: %v", err)
	}
}
