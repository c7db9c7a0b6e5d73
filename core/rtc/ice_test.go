package rtc

import (
	"strings"
	"testing"
)

func TestICEServerCheck(t *testing.T) {
	for _, c := range []struct {
		s    ICEServer
		want string // "" for accepted; else a part of the error
	}{
		{ICEServer{URLs: []string{"stun:127.0.0.1:3478", "stuns:h"}}, ""},
		{ICEServer{URLs: []string{"turn:h:3478?transport=udp", "turns:h"}, Username: "u", Credential: "p"}, ""},
		{ICEServer{}, "no urls"},
		{ICEServer{URLs: []string{"stun:h", "http://h"}}, `"http://h"`},
		{ICEServer{URLs: []string{"stun:"}}, `"stun:"`},
		{ICEServer{URLs: []string{"turn:h"}, Username: "u", Credential: ""}, "needs a username and a credential"},
		{ICEServer{URLs: []string{"turn:h?transport=sctp"}, Username: "u", Credential: "secret-pw"}, `"turn:h?transport=sctp"`},
	} {
		err := c.s.Check()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.s.URLs, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want one with %q", c.s.URLs, err, c.want)
		case err != nil && strings.Contains(err.Error(), "secret-pw"):
			t.Errorf("%v: the credential in the error: %v", c.s.URLs, err)
		}
	}
}
