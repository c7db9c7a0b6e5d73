package protocol

import (
	"regexp"
)

// secretKeys are the fields whose values never leave the process except on
// the wire itself: passwords and tokens.
var secretValue = regexp.MustCompile(`("\s*(?:agent_pwd|aagent_pwd|ext_pwd|token|SDK-TOKEN|sdk_token)\s*"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)`)

// Redact returns a copy of a frame with the values of agent_pwd, aagent_pwd,
// ext_pwd and token replaced by "***", for logs. It works on broken JSON too.
func Redact(frame []byte) []byte {
	return secretValue.ReplaceAll(frame, []byte(`$1"***"`))
}
