// Package backoff is the reconnect policy of the SDK's links: the CTI
// session (core/session) and the SIP phone (core/rtc) wait by it before
// dialling again.
package backoff

import "time"

// Policy is a reconnect policy: delays grow from Min by Factor up to Max,
// each randomized by ±Jitter (a fraction). Disabled stops reconnecting.
//
// The count of attempts starts over only once a link stayed up for Stable,
// so a server that accepts and then drops every link sees the delays grow
// to Max instead of a steady hammering.
type Policy struct {
	Disabled bool
	Min      time.Duration // default 500ms
	Max      time.Duration // default 30s
	Factor   float64       // default 2 (at least 1)
	Jitter   float64       // default 0.2 (0 < Jitter <= 1)
	Stable   time.Duration // default 10s
}

// WithDefaults returns p with the defaults in place of zero or invalid
// values.
func (p Policy) WithDefaults() Policy {
	if p.Min <= 0 {
		p.Min = 500 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 30 * time.Second
	}
	if p.Max < p.Min {
		p.Max = p.Min
	}
	if p.Factor < 1 {
		p.Factor = 2
	}
	if p.Stable <= 0 {
		p.Stable = 10 * time.Second
	}
	if p.Jitter <= 0 || p.Jitter > 1 {
		p.Jitter = 0.2
	}
	return p
}

// Delay is the wait before attempt n (from 1); rnd returns a number in
// [0, 1) (math/rand/v2's Float64), 0.5 giving the delay without jitter.
func (p Policy) Delay(n int, rnd func() float64) time.Duration {
	d := float64(p.Min)
	for i := 1; i < n && d < float64(p.Max); i++ {
		d *= p.Factor
	}
	d = min(d, float64(p.Max))
	d *= 1 + p.Jitter*(2*rnd()-1)
	return time.Duration(d)
}
