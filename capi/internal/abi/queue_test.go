package abi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"
)

// The poll queue, without the C side: bounded in count and bytes, the oldest
// dropped first, and a note that takes no room (so no event is ever lost
// without being counted).

func pollClient(max, maxBytes int) *client {
	return &client{pollq: newPollQueue(max, maxBytes), closed: make(chan struct{})}
}

func drain(t *testing.T, c *client) (events []string, dropped int) {
	t.Helper()
	for {
		b, err := c.poll(0)
		if err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("polled %q: %v", b, err)
		}
		if m["msg_type"] == "events_dropped" {
			n, _ := m["dropped"].(float64)
			dropped += int(n)
			events = append(events, fmt.Sprintf("drop %d/%v", int(n), m["dropped_total"]))
			continue
		}
		events = append(events, fmt.Sprint(m["n"]))
	}
}

func TestPollQueueCountBoundAndNote(t *testing.T) {
	begin(t)
	c := pollClient(3, 1<<30)
	for i := 0; i < 10; i++ {
		c.pollq.Push([]byte(fmt.Sprintf(`{"msg_type":"e","n":%d}`, i)))
		if c.pollq.Len() > 3 {
			t.Fatalf("queue holds %d, bound 3", c.pollq.Len())
		}
	}
	got, dropped := drain(t, c)
	want := []string{"drop 7/7", "7", "8", "9"}
	if strings.Join(got, ",") != strings.Join(want, ",") || dropped+3 != 10 {
		t.Fatalf("polled %v, want %v", got, want)
	}
	// A later overflow is reported again, with the running total.
	for i := 10; i < 15; i++ {
		c.pollq.Push([]byte(fmt.Sprintf(`{"msg_type":"e","n":%d}`, i)))
	}
	got, _ = drain(t, c)
	if want := []string{"drop 2/9", "12", "13", "14"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("second round polled %v, want %v", got, want)
	}
}

func TestPollQueueByteBound(t *testing.T) {
	begin(t)
	const max = 64 << 10
	c := pollClient(1<<20, max)
	pad := strings.Repeat("x", 1000)
	for i := 0; i < 1000; i++ {
		c.pollq.Push([]byte(fmt.Sprintf(`{"msg_type":"e","n":%d,"pad":"%s"}`, i, pad)))
		if c.pollq.Bytes() > max {
			t.Fatalf("queue holds %d bytes, bound %d", c.pollq.Bytes(), max)
		}
	}
	// An event bigger than the whole budget is dropped (and counted).
	c.pollq.Push([]byte(`{"msg_type":"e","n":-1,"pad":"` + strings.Repeat("y", max) + `"}`))
	got, dropped := drain(t, c)
	if kept := len(got) - 1; dropped+kept != 1001 || got[len(got)-1] != "999" {
		t.Fatalf("dropped %d + kept %d != 1001 (last %s)", dropped, kept, got[len(got)-1])
	}
}

func TestPollWaitsAndWakes(t *testing.T) {
	begin(t)
	c := pollClient(10, 1<<20)
	done := make(chan []byte, 1)
	go func() {
		b, _ := c.poll(-1)
		done <- b
	}()
	c.pollq.Push([]byte(`{"msg_type":"e","n":1}`))
	select {
	case b := <-done:
		if !strings.Contains(string(b), `"n":1`) {
			t.Fatalf("polled %s", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting poll was not woken by a new event")
	}
}
