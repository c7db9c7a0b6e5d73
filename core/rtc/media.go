package rtc

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudcc/agent-sdk/core/media"
)

// Direction is an SDP media direction, numbered as the spec's media ints
// and seen from the agent: 0 inactive, 1 sendonly, 2 recvonly, 3 sendrecv.
// It is core/media's.
type Direction = media.Direction

// The four directions.
const (
	Inactive = media.Inactive
	SendOnly = media.SendOnly
	RecvOnly = media.RecvOnly
	SendRecv = media.SendRecv
)

// DTMFMode says how SendDTMF sends digits. The zero value is RFC 4733,
// the spec's default; DTMFModeFromSpec maps the spec's ints.
type DTMFMode int

// DTMF modes.
const (
	DTMFRFC4733 DTMFMode = iota // telephone-event RTP packets (spec type 3)
	DTMFInfo                    // SIP INFO application/dtmf-relay (spec type 0)
	DTMFInband                  // dual tones in the audio (spec type 1)
)

func (m DTMFMode) String() string {
	switch m {
	case DTMFRFC4733:
		return "rfc4733"
	case DTMFInfo:
		return "info"
	case DTMFInband:
		return "inband"
	}
	return "unknown"
}

// DTMFModeFromSpec maps the spec's DTMF type (3 RFC 4733, 0 SIP INFO,
// 1 inband) to a DTMFMode.
func DTMFModeFromSpec(t int) (DTMFMode, error) {
	switch t {
	case 3:
		return DTMFRFC4733, nil
	case 0:
		return DTMFInfo, nil
	case 1:
		return DTMFInband, nil
	}
	return 0, fmt.Errorf("%w: DTMF type %d (want 0, 1 or 3)", ErrInvalidArgument, t)
}

// Media is what the phone needs of a call's media session: SDP offers and
// answers, directions, hold, DTMF on the media path. core/media's Call
// provides it (see NewMediaEngine); tests use fakes.
type Media interface {
	// CreateOffer returns a complete SDP offer (ICE gathered); iceRestart
	// asks for new ICE credentials.
	CreateOffer(ctx context.Context, iceRestart bool) (string, error)
	// AcceptOffer applies a remote offer and returns the complete answer.
	AcceptOffer(ctx context.Context, offer string) (string, error)
	// SetAnswer applies the remote answer to the last offer.
	SetAnswer(answer string) error
	// SetDirections sets the directions the next offer asks for.
	SetDirections(audio, video Direction) error
	// SetHold puts the media on hold (the next offer is sendonly/inactive).
	SetHold(on bool) error
	// SendDTMF sends digits on the media path (DTMFRFC4733 or DTMFInband).
	SendDTMF(digits string, mode DTMFMode) error
	// Close ends the session.
	Close() error
}

// MediaOptions are what a call's media is created with.
type MediaOptions struct {
	Audio, Video Direction // what the agent wants
	VideoHeight  int       // X-CC-Pixels of the INVITE, 0 if none
	// Callbacks into the phone; the media calls them in order, not on its
	// media goroutines, and never while holding its own locks.
	OnICEState   func(ICEState)
	OnDTMF       func(digit string, mode DTMFMode)
	OnFirstAudio func(time.Time)
	// OnConnectFailed: the media did not connect in time after an
	// offer/answer, or failed before it ever came up (reason says why).
	OnConnectFailed func(reason string)
}

// MediaFactory creates the media of a call.
type MediaFactory interface {
	NewMedia(opts MediaOptions) (Media, error)
}

// MediaFactoryFunc adapts a function to MediaFactory.
type MediaFactoryFunc func(MediaOptions) (Media, error)

// NewMedia calls f.
func (f MediaFactoryFunc) NewMedia(o MediaOptions) (Media, error) { return f(o) }
