// Package media is the SDK's WebRTC media engine for one agent's calls.
//
// It owns the pion PeerConnections, the G.711 codecs (Opus with the opus
// build tag), RFC 4733 and inband DTMF, the receive jitter buffer, audio
// I/O (WAV, PCM callbacks, tones) and call statistics. It knows nothing of SIP or of the CTI link: the
// caller (core/rtc) moves the SDP strings this package produces and
// consumes, and maps the spec's media ints onto [Direction].
//
// # Directions
//
// The spec's ints are the [Direction] values: 0 inactive, 1 sendonly,
// 2 recvonly, 3 sendrecv, always from the agent's side. pion itself is kept
// at sendrecv on every m= line; the directions that are in force are the
// ones this package writes into its own SDP and reads from the peer's, and
// the per-call sender only writes a stream when both allow it. That keeps
// hold, one-way media and re-negotiation independent of pion's transceiver
// direction rules (which SIP peers do not follow closely).
//
// # Pacing and threads
//
// Each call has one media goroutine on a 20 ms ticker. Each tick it pulls
// one frame from the receive jitter buffer (to the sinks and the inband
// DTMF detector) and writes one audio packet (or one RFC 4733 packet) on
// the audio SSRC. Received packets are read by one goroutine per remote
// track. Application callbacks (OnDTMF, OnState, OnStats, OnFirstAudio)
// run in order on a per-call event goroutine, never on a media goroutine,
// so a slow callback cannot stall audio. Sinks and sources are called on
// the media goroutine and must not block.
//
// # Audio format
//
// Sources deliver and sinks receive signed 16-bit mono PCM. A source is read
// in frames of 160 samples at 8 kHz (20 ms); helpers convert other rates
// ([NewPCMPushSource], [PCMCallbackSink], [OpenWAVSource]).
//
// # Codecs
//
// Audio: PCMU (0), PCMA (8) and telephone-event/8000 (101). Opus
// (opus/48000/2 on 111, with telephone-event/48000 on 110) is optional: it
// is built only with the build tag opus, which needs cgo and libopus
// (go build -tags opus,nolibopusfile; see [OpusAvailable]). Without the tag
// the package needs no cgo and offers G.711 only.
// Video: VP8 (96) and H.264 (102, packetization-mode 1); the application
// supplies encoded frames ([VideoSource]) and receives encoded frames
// ([Call.OnVideoFrame]); this package does no video coding.
package media
