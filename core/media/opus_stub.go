//go:build !opus

package media

import (
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// OpusAvailable reports whether this build has Opus (build tag opus, cgo
// and libopus; see docs/media.md). Without it the engine offers and
// accepts only PCMU and PCMA.
const OpusAvailable = false

const opusAvailable = OpusAvailable

// opusCodecs is empty without the opus build tag.
func opusCodecs() []webrtc.RTPCodecParameters { return nil }

// opusEncoder and opusDecoder are never used without the opus build tag:
// Opus is neither offered nor accepted.
type opusEncoder struct{}

func (*opusEncoder) encode(*Call, []int16) []byte { return nil }

type opusDecoder struct{}

func (*opusDecoder) reset()                         {}
func (*opusDecoder) decode(*Call, *rtp.Packet) bool { return false }
