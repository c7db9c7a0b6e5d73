package media

// G.711 (ITU-T G.711) μ-law and A-law, after the public-domain Sun
// reference code, served from lookup tables built once: encoding is one
// load per sample, decoding one load per byte.

var (
	ulawEncTable [65536]byte
	alawEncTable [65536]byte
	ulawDecTable [256]int16
	alawDecTable [256]int16
)

func init() {
	for i := range 65536 {
		s := int16(uint16(i))
		ulawEncTable[i] = encodeULawRef(s)
		alawEncTable[i] = encodeALawRef(s)
	}
	for i := range 256 {
		ulawDecTable[i] = decodeULawRef(byte(i))
		alawDecTable[i] = decodeALawRef(byte(i))
	}
}

// EncodeULaw encodes one linear sample as μ-law (PCMU).
func EncodeULaw(s int16) byte { return ulawEncTable[uint16(s)] }

// DecodeULaw decodes one μ-law (PCMU) byte.
func DecodeULaw(u byte) int16 { return ulawDecTable[u] }

// EncodeALaw encodes one linear sample as A-law (PCMA).
func EncodeALaw(s int16) byte { return alawEncTable[uint16(s)] }

// DecodeALaw decodes one A-law (PCMA) byte.
func DecodeALaw(a byte) int16 { return alawDecTable[a] }

// encodeG711 encodes pcm into dst (len(dst) >= len(pcm)).
func encodeG711(dst []byte, pcm []int16, alaw bool) {
	t := &ulawEncTable
	if alaw {
		t = &alawEncTable
	}
	dst = dst[:len(pcm)]
	for i, s := range pcm {
		dst[i] = t[uint16(s)]
	}
}

// decodeG711 decodes src into dst (len(dst) >= len(src)).
func decodeG711(dst []int16, src []byte, alaw bool) {
	t := &ulawDecTable
	if alaw {
		t = &alawDecTable
	}
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = t[b]
	}
}

var segUEnd = [8]int{0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF}
var segAEnd = [8]int{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}

func segSearch(v int, table *[8]int) int {
	for i, e := range table {
		if v <= e {
			return i
		}
	}
	return 8
}

func encodeULawRef(s int16) byte {
	const bias = 0x84
	const clip = 8159
	v := int(s) >> 2
	mask := 0xFF
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	if v > clip {
		v = clip
	}
	v += bias >> 2
	seg := segSearch(v, &segUEnd)
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	u := (seg << 4) | ((v >> (seg + 1)) & 0xF)
	return byte(u ^ mask)
}

func decodeULawRef(u byte) int16 {
	const bias = 0x84
	u = ^u
	t := (int(u&0x0F) << 3) + bias
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(bias - t)
	}
	return int16(t - bias)
}

func encodeALawRef(s int16) byte {
	v := int(s) >> 3
	mask := 0xD5
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	seg := segSearch(v, &segAEnd)
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	a := seg << 4
	if seg < 2 {
		a |= (v >> 1) & 0x0F
	} else {
		a |= (v >> seg) & 0x0F
	}
	return byte(a ^ mask)
}

func decodeALawRef(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0F) << 4
	seg := int(a&0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
