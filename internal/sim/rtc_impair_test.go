package sim

import (
	"net/http"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/pion/webrtc/v4"
)

// The echo extension and the impairment knobs through ccsim's admin API.

func TestRTCEchoCallAndImpairments(t *testing.T) {
	w := rtcCheckin(t)
	w.register(t)
	impair := w.base + "/admin/rtc/impair"

	// The agent's extension is impaired before its call: the echo call
	// starts impaired.
	if code, m := postJSON(t, impair, obj{"agent_id": rtcAgent, "delay_ms": 200, "loss": 0.1}); code != http.StatusOK {
		t.Fatalf("impair agent: %d %v", code, m)
	}
	ctx := ctxT(t, 10*time.Second)
	sess, pc, err := w.agent.Dial(ctx, DefaultEchoNumber, "echo-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatalf("the echo extension did not answer: %v", err)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(sess.InviteResponse.Body())}); err != nil {
		t.Fatal(err)
	}
	c := w.waitMedia(t, "echo-1", "the echo leg sending", func(c RTCCall) bool { return c.AudioTx.Packets > 10 })
	if !c.Echo || c.Ext != rtcAgent || c.Impairment != (RTCImpairment{Loss: 0.1, DelayMS: 200}) {
		t.Fatalf("echo leg %+v", c)
	}
	// The leg's own knobs replace the extension's; silence stops the audio.
	if code, m := postJSON(t, impair, obj{"uuid": "echo-1", "silence": true, "jitter_ms": 20}); code != http.StatusOK {
		t.Fatalf("impair leg: %d %v", code, m)
	}
	w.waitMedia(t, "echo-1", "silence", func(c RTCCall) bool {
		return c.Impairment == (RTCImpairment{Silence: true, JitterMS: 20}) && c.AudioTx.LastMSAgo > 300
	})
	// Cleared: the audio flows again.
	if code, m := postJSON(t, impair, obj{"uuid": "echo-1"}); code != http.StatusOK {
		t.Fatalf("clear: %d %v", code, m)
	}
	w.waitMedia(t, "echo-1", "audio again", func(c RTCCall) bool {
		return c.Impairment == (RTCImpairment{}) && c.AudioTx.LastMSAgo >= 0 && c.AudioTx.LastMSAgo < 100
	})

	for _, bad := range []struct {
		body obj
		code int
	}{
		{obj{"loss": 0.5}, http.StatusBadRequest},                          // no target
		{obj{"uuid": "echo-1", "ext": rtcAgent}, http.StatusBadRequest},    // two
		{obj{"uuid": "echo-1", "loss": 2}, http.StatusBadRequest},          // out of range
		{obj{"agent_id": rtcAgent, "delay_ms": -1}, http.StatusBadRequest}, // negative
		{obj{"agent_id": "nobody"}, http.StatusBadRequest},
		{obj{"uuid": "no-such-leg"}, http.StatusNotFound},
	} {
		if code, m := postJSON(t, impair, bad.body); code != bad.code || m["error"] == "" {
			t.Errorf("%v: %d %v, want %d", bad.body, code, m, bad.code)
		}
	}

	// The echo call is no CTI call: the agent is still FREE, on no call.
	if a, _ := w.s.Agent(rtcAgent); a.Status != "FREE" || a.CallUUID != "" || a.RTCUUID != "" {
		t.Fatalf("agent after an echo call %+v", a)
	}
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	w.waitMedia(t, "echo-1", "ended", func(c RTCCall) bool { return c.State == "ended" && c.EndBy == "agent" })
	if code, _ := postJSON(t, impair, obj{"agent_id": rtcAgent}); code != http.StatusOK { // the extension's cleared
		t.Fatalf("clear the extension: %d", code)
	}
}
