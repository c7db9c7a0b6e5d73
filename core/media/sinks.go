package media

// SetMuted sends silence instead of the source while on (the stream and
// its timing stay alive, so NATs and the peer's jitter buffer do not
// notice). DTMF is still sent.
func (c *Call) SetMuted(on bool) { c.muted.Store(on) }

// Muted reports whether the call is muted.
func (c *Call) Muted() bool { return c.muted.Load() }

// SetAudioSource sets what the call sends; nil sends silence.
func (c *Call) SetAudioSource(src AudioSource) {
	c.mu.Lock()
	c.src, c.srcDone = src, false
	c.mu.Unlock()
}

// AddAudioSink adds a receiver of the call's played-out audio; the
// returned function removes it.
func (c *Call) AddAudioSink(s AudioSink) (remove func()) {
	id := c.sinkSeq.Add(1)
	c.mu.Lock()
	old := *c.sinks.Load()
	n := append(append(make([]sinkEntry, 0, len(old)+1), old...), sinkEntry{id, s})
	c.sinks.Store(&n)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		old := *c.sinks.Load()
		n := make([]sinkEntry, 0, len(old))
		for _, e := range old {
			if e.id != id {
				n = append(n, e)
			}
		}
		c.sinks.Store(&n)
	}
}

// OnVideoFrame sets the receiver of whole encoded video frames (codec
// "VP8" or "H264", the frame, its 90 kHz RTP timestamp). fn runs on the
// video reader goroutine: it must not block, and it owns frame.
func (c *Call) OnVideoFrame(fn func(codec string, frame []byte, ts uint32)) {
	if fn == nil {
		c.videoFn.Store(nil)
		return
	}
	c.videoFn.Store(&fn)
}
