package abi

import (
	"strings"
	"testing"
)

// precall_test's parameters are checked before anything runs, and outside
// RTC mode it says so (the test against a PBX is core/agent's and
// tests/c's).
func TestPrecallParams(t *testing.T) {
	begin(t)
	c, err := newClient([]byte(`{"ws_url":"ws://127.0.0.1:1/ws","language":"en-US"}`), Host{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, tc := range []struct {
		params string
		status int
		msg    string
	}{
		{`{"seconds":0}`, ccInvalidArgument, "seconds 0"},
		{`{"seconds":-1}`, ccInvalidArgument, "seconds -1"},
		{`{"seconds":31}`, ccInvalidArgument, "at most 30"},
		{`{"seconds":"5"}`, ccInvalidArgument, "precall_test takes"},
		{`[1]`, ccInvalidArgument, "not a JSON object"},
		{`{"echo_number":5}`, ccInvalidArgument, "precall_test takes"},
		{``, ccUnsupported, "RTC mode"},
		{`{"seconds":2,"echo_number":"9196"}`, ccUnsupported, "RTC mode"},
	} {
		st, b := c.media("precall_test", []byte(tc.params))
		if st != tc.status || !strings.Contains(string(b), tc.msg) || !strings.Contains(string(b), `"code":"`) {
			t.Errorf("precall_test %s: %d %s, want %d with %q", tc.params, st, b, tc.status, tc.msg)
		}
	}
}
