package media

import (
	"errors"
	"time"
)

// Sentinel errors.
var (
	ErrClosed        = errors.New("media: closed")
	ErrNoDTMF        = errors.New("media: peer did not negotiate telephone-event")
	ErrNotSending    = errors.New("media: audio is not being sent (direction, hold or not negotiated)")
	ErrBadDigit      = errors.New("media: invalid DTMF digit")
	ErrGathering     = errors.New("media: ICE gathering did not complete")
	ErrBadDirection  = errors.New("media: direction must be 0..3")
	ErrNotNegotiated = errors.New("media: no offer/answer exchanged yet")
	ErrNoRollback    = errors.New("media: this offer cannot be rolled back (initial offer or ICE restart): close the call or offer again")
)

// Direction is an SDP media direction. Its value is the spec's media int
// (0 inactive, 1 sendonly, 2 recvonly, 3 sendrecv), seen from the agent:
// bit 0 is "the agent sends", bit 1 is "the agent receives".
type Direction int

// The four directions, numbered as in the spec.
const (
	Inactive Direction = 0
	SendOnly Direction = 1
	RecvOnly Direction = 2
	SendRecv Direction = 3
)

func (d Direction) String() string {
	switch d {
	case Inactive:
		return "inactive"
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case SendRecv:
		return "sendrecv"
	}
	return "invalid"
}

// Sends reports whether the side that declared d sends.
func (d Direction) Sends() bool { return d&SendOnly != 0 }

// Receives reports whether the side that declared d receives.
func (d Direction) Receives() bool { return d&RecvOnly != 0 }

// Mirror is the same flow seen from the other end.
func (d Direction) Mirror() Direction { return (d&1)<<1 | (d&2)>>1 }

func (d Direction) valid() bool { return d >= 0 && d <= 3 }

// ParseDirection reads an SDP direction attribute's name ("sendrecv"...).
func ParseDirection(s string) (Direction, bool) {
	switch s {
	case "sendrecv":
		return SendRecv, true
	case "sendonly":
		return SendOnly, true
	case "recvonly":
		return RecvOnly, true
	case "inactive":
		return Inactive, true
	}
	return 0, false
}

// State is the call's connection state (ICE and DTLS together, as pion's
// PeerConnectionState).
type State int

// Connection states. The zero value is StateNew.
const (
	StateNew State = iota
	StateChecking
	StateConnected
	StateDisconnected
	StateFailed
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateNew:
		return "new"
	case StateChecking:
		return "checking"
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateFailed:
		return "failed"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// DTMFMode says how a digit travels.
type DTMFMode int

// DTMF modes. The zero value is RFC 4733, the default of the spec (type 3).
// SIP INFO (spec type 0) is core/rtc's business, not this package's.
const (
	DTMFRFC4733 DTMFMode = iota // telephone-event packets on the audio stream
	DTMFInband                  // dual tones mixed into the audio
)

func (m DTMFMode) String() string {
	switch m {
	case DTMFRFC4733:
		return "rfc4733"
	case DTMFInband:
		return "inband"
	}
	return "unknown"
}

// Digit is one received DTMF digit.
type Digit struct {
	Digit    rune // '0'-'9', '*', '#', 'A'-'D'
	Mode     DTMFMode
	Duration time.Duration // as signalled (RFC 4733) or measured (inband, approximate)
}
