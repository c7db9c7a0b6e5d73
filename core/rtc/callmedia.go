package rtc

func (c *Call) mediaOptions(audio, video Direction) MediaOptions {
	return MediaOptions{
		Audio: audio, Video: video, VideoHeight: c.pixels,
		OnICEState:   c.onICE,
		OnFirstAudio: c.onFirstAudio,
		OnDTMF: func(d string, mode DTMFMode) {
			c.p.emit(Event{Type: EventDTMF, Call: c, Digit: d, DTMFMode: mode})
		},
		OnConnectFailed: c.onMediaFailed,
	}
}

// onMediaFailed applies Config.OnMediaFailure to a call whose media did
// not connect.
func (c *Call) onMediaFailed(reason string) {
	c.mu.Lock()
	if c.state == CallEnded {
		c.mu.Unlock()
		return
	}
	c.mediaFail = reason
	c.ice = ICEFailed
	c.mu.Unlock()
	p := c.p
	policy := p.cfg.OnMediaFailure
	p.log.Warn("call media did not connect", "call_id", c.id, "uuid", c.UUID(), "reason", reason, "policy", policy.String())
	p.emit(Event{Type: EventICE, Call: c, ICE: ICEFailed, Reason: "media: " + reason})
	p.emitConnectivity()
	if policy != MediaFailureHangup {
		return
	}
	c.abort("media: " + reason)
}

func (c *Call) onICE(s ICEState) {
	c.mu.Lock()
	if c.ice == s || c.state == CallEnded {
		c.mu.Unlock()
		return
	}
	if c.mediaFail != "" && s != ICEConnected {
		c.mu.Unlock()
		return // reported failed; only a late connection changes that
	}
	c.ice = s
	if s == ICEConnected {
		c.mediaFail = ""
	}
	c.mu.Unlock()
	c.p.emit(Event{Type: EventICE, Call: c, ICE: s})
	c.p.emitConnectivity()
}
