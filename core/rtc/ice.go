package rtc

import (
	"errors"
	"fmt"

	"github.com/pion/stun/v4"
)

// Check tells whether the media layer can use s: at least one URL, each a
// STUN or TURN URI (RFC 7064, 7065), and a username and credential for a
// TURN server. Checked when the client is made, so that a typo fails
// there, rather than at every call's answer. The error names the URL,
// never the credential.
func (s ICEServer) Check() error {
	if len(s.URLs) == 0 {
		return errors.New("no urls")
	}
	for _, raw := range s.URLs {
		u, err := stun.ParseURI(raw)
		if err != nil {
			return fmt.Errorf("%q: %w", raw, err)
		}
		if (u.Scheme == stun.SchemeTypeTURN || u.Scheme == stun.SchemeTypeTURNS) && (s.Username == "" || s.Credential == "") {
			return fmt.Errorf("%q: a TURN server needs a username and a credential", raw)
		}
	}
	return nil
}
