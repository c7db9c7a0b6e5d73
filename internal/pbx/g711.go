package pbx

import "math/bits"

// G.711 (ITU-T G.711) written from the standard's segment tables: a sample
// is a sign, a 3-bit segment (the position of its highest set bit) and a
// 4-bit step within the segment. The PBX's coder is its own (the SDK's is
// table driven, in core/media): the two ends of a test are written apart,
// and core/media's tests check that they agree on every sample.

// SampleRate is the rate of every G.711 stream the PBX handles.
const SampleRate = 8000

// FrameSamples is one 20 ms packet of G.711 at 8 kHz.
const FrameSamples = 160

// ulawBias is added to a μ-law magnitude (14-bit scale) before its segment
// is found, so that segment k covers [2^(k+5), 2^(k+6)) - 33.
const ulawBias = 33

// EncodeULaw encodes one linear 16-bit sample as μ-law (PCMU).
func EncodeULaw(s int16) byte {
	sign := byte(0x80)
	mag := int(s) >> 2 // 14-bit scale
	if mag < 0 {
		mag, sign = -mag, 0
	}
	mag = min(mag, 8159) + ulawBias
	seg := max(bits.Len(uint(mag))-6, 0)
	code := byte(0x7F) // beyond the last segment: the loudest code
	if seg < 8 {
		code = byte(seg)<<4 | byte(mag>>(seg+1))&0x0F
	}
	return sign | ^code&0x7F // μ-law sends every bit inverted but the sign
}

// DecodeULaw decodes one μ-law (PCMU) byte to a linear 16-bit sample: the
// middle of the step the code stands for.
func DecodeULaw(u byte) int16 {
	u = ^u
	seg, step := int(u>>4)&7, int(u&0x0F)
	mag := ((2*step+ulawBias)<<seg - ulawBias) << 2
	if u&0x80 != 0 {
		return int16(-mag)
	}
	return int16(mag)
}

// EncodeALaw encodes one linear 16-bit sample as A-law (PCMA).
func EncodeALaw(s int16) byte {
	sign := byte(0x80)
	mag := int(s) >> 3 // 13-bit scale: at most 4095 either way
	if mag < 0 {
		mag, sign = -mag-1, 0
	}
	seg := max(bits.Len(uint(mag))-5, 0)
	code := byte(seg)<<4 | byte(mag>>max(seg, 1))&0x0F // segments 0 and 1 share a step size
	return (sign | code) ^ 0x55                        // A-law inverts the even bits
}

// DecodeALaw decodes one A-law (PCMA) byte to a linear 16-bit sample.
func DecodeALaw(a byte) int16 {
	a ^= 0x55
	seg, step := int(a>>4)&7, int(a&0x0F)
	mag := (2*step + 1) << 3
	if seg > 0 {
		mag = (2*step + 33) << (seg + 2)
	}
	if a&0x80 != 0 {
		return int16(mag)
	}
	return int16(-mag)
}
