package protocol

import (
	"bytes"
	"unicode/utf8"
)

// ValidUTF8 returns b when it is valid UTF-8, else a copy with each invalid
// byte sequence replaced by U+FFFD. Everything the SDK hands to an
// application is text (C strings read as UTF-8, Python str, .NET string):
// a frame with invalid bytes is repaired this way, never passed on raw.
func ValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}
