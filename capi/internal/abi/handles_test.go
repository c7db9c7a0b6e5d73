package abi

import (
	"strings"
	"sync"
	"testing"
)

// Every export on a handle that is not (or no longer) in the table is
// CC_ERR_INVALID_HANDLE: with the error JSON where it hands one out,
// nothing where its out parameter is an event, and no callback ever.
func TestUnknownHandles(t *testing.T) {
	h := begin(t)
	id, r := New(Str{S: `{"ws_url":"ws://127.0.0.1:1/ws"}`}, true, h.host())
	if r.Status != ccOK {
		t.Fatalf("New: %d %s", r.Status, r.JSON)
	}
	Free(id)
	Free(id) // twice: nothing happens
	called := false
	never := func() { called = true }
	for name, stale := range map[string]uintptr{"freed": id, "zero": 0, "foreign": id + 8} {
		for call, r := range map[string]Result{
			"Request": Request(stale, Str{S: `{"msg_type":"ping"}`}, 10),
			"HTTP":    HTTP(stale, Str{S: "get-token"}, Str{}, 10),
			"Media":   Media(stale, Str{S: "calls"}, Str{}),
		} {
			m := decode(t, r.JSON)
			if r.Status != ccInvalidHandle || m["code"] != "-2" || m["msg"] != "无效的客户端句柄" {
				t.Errorf("%s handle: %s = %d %s", name, call, r.Status, r.JSON)
			}
		}
		if r := PollEvent(stale, 0, true); r.Status != ccInvalidHandle || r.JSON != nil {
			t.Errorf("%s handle: PollEvent = %d %s", name, r.Status, r.JSON)
		}
		for call, st := range map[string]int{
			"SetEventCallback": SetEventCallback(stale, func([]byte) { never() }),
			"RequestAsync":     RequestAsync(stale, Str{S: `{"msg_type":"ping"}`}, 10, func(int, []byte) { never() }),
			"PushPCM":          PushPCM(stale, Str{}, 1, 8000, func([]int16) { never() }),
			"SetPCMSink":       SetPCMSink(stale, Str{}, 8000, func(string, []int16) { never() }),
		} {
			if st != ccInvalidHandle {
				t.Errorf("%s handle: %s = %d", name, call, st)
			}
		}
		Free(stale)
	}
	if called {
		t.Error("a callback was called for an unknown handle")
	}
}

// Ids are never reused: a handle freed long ago does not reach a newer
// client.
func TestHandlesNeverReused(t *testing.T) {
	h := begin(t)
	seen := map[uintptr]bool{}
	var last uintptr
	for i := 0; i < 50; i++ {
		id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws"}`)
		if seen[id] || id == 0 {
			t.Fatalf("id %#x given twice", id)
		}
		seen[id], last = true, id
		Free(id)
	}
	if handles() != 0 {
		t.Fatalf("%d handles after freeing all", handles())
	}
	if r := Request(last, Str{S: `{"msg_type":"ping"}`}, 10); r.Status != ccInvalidHandle {
		t.Fatalf("freed handle: %d", r.Status)
	}
}

// New's own refusals: no handle is made, and the error JSON says why (in
// Chinese: the config's language is not known yet).
func TestNewRefusals(t *testing.T) {
	h := begin(t)
	for _, c := range []struct {
		config Str
		hasOut bool
		msg    string
	}{
		{Str{S: `{"ws_url":"ws://127.0.0.1:1/ws"}`}, false, "参数无效: out is NULL"},
		{Str{Null: true}, true, "参数无效: config_json is NULL"},
		{Str{S: `{"ws_url":"ws://127.0.0.1:1/ws","language":"en-US","log_level":"x"}`}, true,
			`参数无效: cloudcc: invalid argument: log_level "x" (want trace, debug, info, warn, error or off)`},
	} {
		id, r := New(c.config, c.hasOut, h.host())
		if id != 0 || r.Status != ccInvalidArgument || decode(t, r.JSON)["msg"] != c.msg {
			t.Errorf("New(%+v, %v) = %#x, %d %s; want %q", c.config, c.hasOut, id, r.Status, r.JSON, c.msg)
		}
	}
}

// The table under concurrent New, Free and calls on live and stale
// handles (run with -race).
func TestHandleTableConcurrency(t *testing.T) {
	h := begin(t)
	var wg sync.WaitGroup
	ids := make(chan uintptr, 64)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				id, r := New(Str{S: `{"ws_url":"ws://127.0.0.1:1/ws","language":"en-US"}`}, true, h.host())
				if r.Status != ccOK {
					t.Errorf("New: %d %s", r.Status, r.JSON)
					return
				}
				ids <- id
				if r := Media(id, Str{S: "calls"}, Str{}); r.Status != ccUnsupported && r.Status != ccInvalidHandle {
					t.Errorf("Media: %d %s", r.Status, r.JSON)
				}
			}
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				id := <-ids
				Free(id)
				if r := Media(id, Str{S: "calls"}, Str{}); r.Status != ccInvalidHandle || !strings.Contains(string(r.JSON), `"-2"`) {
					t.Errorf("Media on a freed handle: %d %s", r.Status, r.JSON)
				}
			}
		}()
	}
	wg.Wait()
}

// call contains a panic: CC_ERR_INTERNAL with its message, never a crash;
// the client stays usable.
func TestCallContainsPanics(t *testing.T) {
	h := begin(t)
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws","language":"en-US"}`)
	r := call(id, func(*client) Result { panic("boom") })
	if m := decode(t, r.JSON); r.Status != ccInternal || m["code"] != "-99" || !strings.HasSuffix(m["msg"].(string), ": boom") {
		t.Fatalf("panic: %d %s", r.Status, r.JSON)
	}
	if r := Media(id, Str{S: "calls"}, Str{}); r.Status != ccUnsupported {
		t.Fatalf("after the panic: %d %s", r.Status, r.JSON)
	}
}
