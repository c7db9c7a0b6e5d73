package rtc

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A SIP edge that accepts every WebSocket and drops it at once must see the
// phone's reconnect delays grow, not a reconnect every Min.
func TestReconnectBackoffGrowsWhenEveryLinkDrops(t *testing.T) {
	up := websocket.Upgrader{Subprotocols: []string{"sip"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ws, err := up.Upgrade(w, r, nil); err == nil {
			_ = ws.Close()
		}
	}))
	defer srv.Close()
	rec := newRecorder()
	p, err := New(Config{
		URL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/sip", Domain: testDomain, User: testExt, Password: testPwd,
		Media: testMedia(t), OnEvent: rec.on, Logger: testLogger(),
		Reconnect: Backoff{Min: 10 * time.Millisecond, Max: 10 * time.Second, Stable: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	i := 0
	var prev time.Duration
	for n := 1; n <= 5; n++ {
		ev := rec.wait(t, &i, "reconnecting", func(ev Event) bool { return ev.Type == EventLink && ev.Link == LinkReconnecting })
		if ev.Attempt != n || ev.Delay <= prev {
			t.Fatalf("reconnect %d: attempt %d delay %v after %v (the count must not start over after a link that dropped at once)",
				n, ev.Attempt, ev.Delay, prev)
		}
		prev = ev.Delay
	}
}
