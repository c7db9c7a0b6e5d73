package media

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// failWatch records OnConnectFailed calls.
type failWatch struct {
	mu      sync.Mutex
	reasons []string
}

func (f *failWatch) on(r string) { f.mu.Lock(); f.reasons = append(f.reasons, r); f.mu.Unlock() }
func (f *failWatch) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reasons...)
}

var candRE = regexp.MustCompile(`(?m)^(a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 )(\d+)( typ host.*)$`)

// blackhole is a UDP socket that takes packets and never answers.
func blackhole(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// halfNegotiated is an offerer a (its connect deadline d) whose offer b
// answered; the test then gives a an answer of its own making.
type halfNegotiated struct {
	a, b   *Call
	answer string
	fails  *failWatch
	states *stateWatch
}

func negotiateHalf(t *testing.T, d time.Duration) *halfNegotiated {
	t.Helper()
	cfg := testConfig()
	cfg.ConnectTimeout = d
	ea, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ea.Close() })
	h := &halfNegotiated{fails: &failWatch{}, states: &stateWatch{}}
	if h.a, err = ea.NewCall(CallOptions{Audio: SendRecv, OnConnectFailed: h.fails.on, OnState: h.states.on}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.a.Close() })
	h.a.SetAudioSource(ToneSource(440, 8000))
	if h.b, err = newTestEngine(t).NewCall(CallOptions{Audio: SendRecv}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.b.Close() })
	ctx := ctxT(t, 10*time.Second)
	offer, err := h.a.CreateOffer(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if h.answer, err = h.b.AcceptOffer(ctx, offer); err != nil {
		t.Fatal(err)
	}
	return h
}

// A call whose peer never answers ICE: nothing counts as sent, stats say
// "no data", and the failure is reported once with ICE named as the
// step that got stuck.
func TestMediaTruthICENeverConnects(t *testing.T) {
	h := negotiateHalf(t, 700*time.Millisecond)
	a, fw, ans := h.a, h.fails, h.answer
	_ = h.b.Close() // the peer is gone: nobody answers the checks
	dead := strconv.Itoa(blackhole(t))
	ans = candRE.ReplaceAllString(ans, "${1}"+dead+"${3}")
	if !strings.Contains(ans, " "+dead+" typ host") {
		t.Fatalf("candidate not rewritten:\n%s", ans)
	}
	start := time.Now()
	if err := a.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	if au, _ := a.NegotiatedDirections(); au != SendRecv {
		t.Fatalf("negotiated %v: the sender would not even try", au)
	}
	waitFor(t, 5*time.Second, "OnConnectFailed", func() bool { return len(fw.all()) > 0 })
	took := time.Since(start)
	if took < 600*time.Millisecond {
		t.Errorf("reported after %v, before the 700 ms timeout", took)
	}
	r := fw.all()[0]
	if !strings.Contains(r, "700ms") || !strings.Contains(r, "ICE") {
		t.Errorf("reason %q does not name the timeout and ICE", r)
	}
	// The sender ran for well over 20 ticks with a bound track.
	time.Sleep(300 * time.Millisecond) // more ticks, to show none is counted
	st := a.Stats()
	if st.Audio.PacketsSent != 0 || st.Audio.BytesSent != 0 {
		t.Errorf("packets_sent %d (bytes %d) while nothing was connected", st.Audio.PacketsSent, st.Audio.BytesSent)
	}
	if !st.NoAudioData || st.MOS != 0 || st.RFactor != 0 {
		t.Errorf("stats with nothing received: NoAudioData %v MOS %v R %v", st.NoAudioData, st.MOS, st.RFactor)
	}
	if n := len(fw.all()); n != 1 {
		t.Errorf("OnConnectFailed called %d times", n)
	}
}

// ICE works but the DTLS fingerprint is wrong: the handshake fails, and
// that is reported at once (not at the 3 s deadline), with DTLS named. (The
// DTLS transport's own state tells: pion left the connection "checking"
// 1 time in 4 under -race.)
func TestMediaTruthDTLSFails(t *testing.T) {
	h := negotiateHalf(t, 3*time.Second)
	a, fw, sw, ans := h.a, h.fails, h.states, h.answer
	fp := regexp.MustCompile(`a=fingerprint:sha-256 ([0-9A-F:]+)`)
	m := fp.FindStringSubmatch(ans)
	if m == nil {
		t.Fatalf("no fingerprint:\n%s", ans)
	}
	wrong := strings.Repeat("AB:", 31) + "AB"
	start := time.Now()
	if err := a.SetAnswer(strings.ReplaceAll(ans, m[1], wrong)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(fw.all()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no OnConnectFailed in 15 s; offerer states %v", sw.all())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := fw.all()[0]; !strings.Contains(r, "DTLS handshake") || !strings.Contains(r, "before media ever connected") {
		t.Errorf("reason %q (states %v)", r, sw.all())
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("reported after %v: the 3 s deadline, not the failure", took)
	}
	if st := a.Stats(); st.Audio.PacketsSent != 0 {
		t.Errorf("packets_sent %d", st.Audio.PacketsSent)
	}
}

// pion may close the DTLS transport before the connection's "failed" is
// handled: the reason still names the failed handshake, not a closed
// transport (the DTLS callback's mark, read when the state says
// "closed").
func TestTransportStateRemembersAFailedDTLS(t *testing.T) {
	h := negotiateHalf(t, 3*time.Second)
	if err := h.a.pc.Close(); err != nil {
		t.Fatal(err)
	}
	h.a.mu.Lock()
	before := h.a.transportStateLocked()
	h.a.dtlsFailed.Store(true)
	after := h.a.transportStateLocked()
	h.a.mu.Unlock()
	if strings.Contains(before, "DTLS handshake") || !strings.HasPrefix(after, "DTLS handshake failed") {
		t.Fatalf("closed: %q; with DTLS failed before: %q", before, after)
	}
}

// A call that connects reports no failure, and counts what it sends.
func TestMediaTruthConnected(t *testing.T) {
	cfg := testConfig()
	cfg.ConnectTimeout = 2 * time.Second
	ea, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ea.Close()
	fw := &failWatch{}
	p := newPair(t, ea, newTestEngine(t), CallOptions{Audio: SendRecv, OnConnectFailed: fw.on}, CallOptions{Audio: SendRecv})
	sink := newCapSink()
	p.b.AddAudioSink(sink)
	waitFor(t, 5*time.Second, "audio at b", func() bool { return sink.samples() > 1600 })
	time.Sleep(2500 * time.Millisecond) // past the timeout: it must not fire on a connected call
	if r := fw.all(); len(r) != 0 {
		t.Errorf("OnConnectFailed on a connected call: %v", r)
	}
	st := p.a.Stats()
	if st.Audio.PacketsSent < 50 {
		t.Errorf("packets_sent %d after 2.5 s connected", st.Audio.PacketsSent)
	}
	if stb := p.b.Stats(); stb.NoAudioData || stb.MOS < 4 {
		t.Errorf("receiver stats: NoAudioData %v MOS %v", stb.NoAudioData, stb.MOS)
	}
}

// pion runs each connection-state handler on its own goroutine: a
// "connecting" that arrives after "connected" (both dispatched in quick
// succession) must not take the call back to checking, where it would
// stop sending and tell the app it lost the connection.
func TestLateConnectingDoesNotUndoConnected(t *testing.T) {
	ea, eb := newTestEngine(t), newTestEngine(t)
	p := newPair(t, ea, eb, CallOptions{Audio: SendRecv}, CallOptions{Audio: SendRecv})
	events := len(p.aw.all())
	p.a.onConnState(webrtc.PeerConnectionStateConnecting) // the stale handler, late
	if st := p.a.State(); st != StateConnected || !p.a.connected.Load() {
		t.Fatalf("after a late connecting: state %v, sending %v", st, p.a.connected.Load())
	}
	p.a.onConnState(webrtc.PeerConnectionStateConnected) // a second connected
	flushed := make(chan struct{})                       // the queue runs in order: past this, every earlier event ran
	p.a.ev.push(func() { close(flushed) })
	<-flushed
	if all := p.aw.all(); len(all) != events {
		t.Fatalf("states reported again: %v", all[events:])
	}
}
