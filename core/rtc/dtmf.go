package rtc

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// SendDTMF sends digits (0-9 * # A-D) in mode: RFC 4733 or inband on the
// media, or one SIP INFO (application/dtmf-relay) per digit.
func (c *Call) SendDTMF(ctx context.Context, digits string, mode DTMFMode) error {
	for _, d := range digits {
		if !strings.ContainsRune("0123456789*#ABCDabcd", d) {
			return fmt.Errorf("%w: DTMF digit %q", ErrInvalidArgument, d)
		}
	}
	c.mu.Lock()
	st, m := c.state, c.media
	c.mu.Unlock()
	if st == CallEnded {
		return ErrCallEnded
	}
	if st != CallConfirmed && st != CallHeld {
		return ErrBadState
	}
	switch mode {
	case DTMFInfo:
		// Digits queued on the media before these play out first, so that
		// "12" by RFC 4733 then "34" by INFO reach the far end as 1234.
		if w, ok := m.(interface{ WaitDTMF(context.Context) error }); ok {
			if err := w.WaitDTMF(ctx); err != nil && ctx.Err() != nil {
				return err
			}
		}
		for _, d := range strings.ToUpper(digits) {
			code, err := c.SendInfo(ctx, "application/dtmf-relay", []byte("Signal="+string(d)+"\r\nDuration=160\r\n"))
			if err != nil {
				return err
			}
			if code/100 != 2 {
				return &StatusError{Method: "INFO", Code: code}
			}
		}
		return nil
	case DTMFRFC4733, DTMFInband:
		if m == nil {
			return ErrNoMedia
		}
		return m.SendDTMF(strings.ToUpper(digits), mode)
	}
	return fmt.Errorf("%w: DTMF mode %d", ErrInvalidArgument, mode)
}

// SendInfo sends a SIP INFO in the dialog and returns the response code.
func (c *Call) SendInfo(ctx context.Context, contentType string, body []byte) (int, error) {
	c.mu.Lock()
	if c.state == CallEnded {
		c.mu.Unlock()
		return 0, ErrCallEnded
	}
	if c.state != CallConfirmed && c.state != CallHeld && c.state != CallAnswered {
		c.mu.Unlock()
		return 0, ErrBadState
	}
	req := c.inDialogLocked(sip.INFO)
	c.mu.Unlock()
	if contentType != "" {
		ct := sip.ContentTypeHeader(contentType)
		req.AppendHeader(&ct)
	}
	req.SetBody(body)
	res, err := c.p.roundTrip(ctx, req, nil)
	if err != nil {
		return 0, err
	}
	if res.StatusCode == 481 || res.StatusCode == 408 {
		c.end(res.StatusCode, "dialog lost")
	}
	return res.StatusCode, nil
}

// parseInfoDTMF reads the digit of an INFO body (application/dtmf-relay
// "Signal=5", or application/dtmf "5").
func parseInfoDTMF(ctype, body string) (string, bool) {
	ctype = strings.ToLower(strings.TrimSpace(ctype))
	var d string
	switch {
	case strings.HasPrefix(ctype, "application/dtmf-relay"):
		for _, line := range strings.Split(body, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				d = strings.TrimSpace(v)
			}
		}
	case strings.HasPrefix(ctype, "application/dtmf"):
		d = strings.TrimSpace(body)
	default:
		return "", false
	}
	if n, err := strconv.Atoi(d); err == nil && n >= 10 && n <= 15 {
		d = string("*#ABCD"[n-10])
	}
	d = strings.ToUpper(d)
	if len(d) != 1 || !strings.Contains("0123456789*#ABCD", d) {
		return "", false
	}
	return d, true
}
