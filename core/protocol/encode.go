package protocol

import (
	"bytes"
	"fmt"
	"sync"

	json "github.com/goccy/go-json"
)

// AppendEncode appends r's frame, exactly as Encode writes it, to dst,
// through a pooled encoder: it allocates nothing beyond growing dst.
func AppendEncode(dst []byte, r Request) ([]byte, error) {
	r.RequestHeader().MsgType = r.Type()
	e := encoders.Get().(*encoder)
	defer e.put()
	if err := e.enc.Encode(r); err != nil {
		return dst, fmt.Errorf("protocol: encode %s: %w", r.Type(), err)
	}
	b := e.buf.Bytes()
	return append(dst, b[:len(b)-1]...), nil // without the newline Encode ends a value with
}

// encoder is a json.Encoder writing into its own buffer.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

func (e *encoder) put() {
	if e.buf.Cap() > 64<<10 {
		return // a rare large request: not worth keeping
	}
	e.buf.Reset()
	encoders.Put(e)
}
