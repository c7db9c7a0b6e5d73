package sdkerr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cloudcc/agent-sdk/core/httpapi"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/cloudcc/agent-sdk/core/sdkerr"
	"github.com/cloudcc/agent-sdk/core/session"
)

// One errors.Is test matches a bad argument from any package, whichever
// package's name the caller uses.
func TestOneInvalidArgumentKind(t *testing.T) {
	_, serr := session.New(session.Config{})
	_, rerr := rtc.New(rtc.Config{})
	_, herr := httpapi.New(httpapi.Config{BaseURL: "ftp://x"})
	for _, err := range []error{serr, rerr, herr, fmt.Errorf("wrapped: %w", rerr)} {
		for _, kind := range []error{sdkerr.ErrInvalidArgument, session.ErrInvalidArgument, rtc.ErrInvalidArgument, httpapi.ErrInvalidArgument} {
			if !errors.Is(err, kind) {
				t.Errorf("errors.Is(%v, %v) = false", err, kind)
			}
		}
	}
}
