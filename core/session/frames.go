package session

import (
	"bytes"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/cloudcc/agent-sdk/core/protocol"
)

// frameEncoder holds the frames of one write (a request, and the fence
// ping before it): encoding them allocates nothing. The buffers are shared
// by every session (held only while a request is written), which keeps idle
// sessions small.
type frameEncoder struct{ buf []byte }

var frameEncoders = sync.Pool{New: func() any { return &frameEncoder{buf: make([]byte, 0, 512)} }}

// maxKeptBuffer is the largest buffer the pools keep; a bigger one (a rare
// large frame) goes to the garbage collector.
const maxKeptBuffer = 64 << 10

func getFrameEncoder() *frameEncoder { return frameEncoders.Get().(*frameEncoder) }

func putFrameEncoder(e *frameEncoder) {
	if cap(e.buf) > maxKeptBuffer {
		return
	}
	e.buf = e.buf[:0]
	frameEncoders.Put(e)
}

// encode adds r's frame (protocol.Encode's bytes) to the buffer and returns
// it, valid until the encoder is put back.
func (e *frameEncoder) encode(r protocol.Request) ([]byte, error) {
	start := len(e.buf)
	b, err := protocol.AppendEncode(e.buf, r)
	if err != nil {
		return nil, err
	}
	e.buf = b
	return b[start:len(b):len(b)], nil
}

// readBuffers hold a frame while it is read; the frame is then copied out at
// its exact size (it lives on as the reply's or event's Raw).
var readBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readFrame reads the next text or binary message of conn.
func readFrame(conn *websocket.Conn) ([]byte, error) {
	_, r, err := conn.NextReader()
	if err != nil {
		return nil, err
	}
	buf := readBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	_, err = buf.ReadFrom(r)
	var frame []byte
	if err == nil {
		frame = bytes.Clone(buf.Bytes())
	}
	if buf.Cap() <= maxKeptBuffer {
		readBuffers.Put(buf)
	}
	return frame, err
}
