package abi

import "github.com/cloudcc/agent-sdk/core/protocol"

// out prepares a JSON string for the host: secrets redacted (keep names the
// top-level fields that carry one on purpose) and valid UTF-8.
func (c *client) out(b []byte, keep map[string]bool) []byte {
	if c == nil {
		return protocol.ValidUTF8(protocol.Redact(b))
	}
	return protocol.ValidUTF8(c.secrets.JSON(b, keep))
}

// The documented fields that hand a secret to the application: check-in's
// extension password (for the app's own softphone) and token, get-token's
// token. Everywhere else secrets are redacted.
var (
	keepCheckin = map[string]bool{"ext_pwd": true, "token": true}
	keepToken   = map[string]bool{"token": true}
)

func keepFor(m protocol.Message) map[string]bool {
	switch m.(type) {
	case *protocol.CheckinReply:
		return keepCheckin
	case *protocol.TokenReply:
		return keepToken
	}
	return nil
}
