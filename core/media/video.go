package media

import (
	"context"
	"strings"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// VideoFormat tells a VideoSource what to produce.
type VideoFormat struct {
	Codec  string // "VP8" or "H264" (Annex-B, packetization-mode 1)
	Height int    // CallOptions.VideoHeight (0: the source's choice)
}

// VideoSource supplies encoded video frames for a call.
//
// ReadVideoFrame returns the next whole frame, encoded in f.Codec, and how
// long it lasts (0 means 1/30 s). It may block until a frame is ready; ctx
// ends when the call closes or the source is replaced, and a source that
// blocks must return then. Any error ends the source. The engine paces the
// frames by their durations, packetizes them and sends them when the
// negotiated video direction allows.
type VideoSource interface {
	ReadVideoFrame(ctx context.Context, f VideoFormat) (frame []byte, duration time.Duration, err error)
}

// SetVideoSource sets what the call sends as video; nil stops sending.
func (c *Call) SetVideoSource(src VideoSource) {
	c.mu.Lock()
	if c.videoCancel != nil {
		c.videoCancel()
		c.videoCancel = nil
	}
	c.videoSrc = src
	if src == nil || c.isClosed {
		c.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.videoCancel = cancel
	c.mu.Unlock()
	if !c.goTracked("media: video sender", func() { c.sendVideo(ctx, src) }) {
		cancel()
	}
}

func (c *Call) sendVideo(ctx context.Context, src VideoSource) {
	var (
		pk   rtp.Packetizer
		gen  uint64
		next = time.Now()
		t    = time.NewTimer(0)
	)
	defer t.Stop()
	wait := func(until time.Time) bool {
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(time.Until(until))
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	for {
		c.mu.Lock()
		v := c.video
		c.mu.Unlock()
		var bc boundCodec
		if v != nil {
			bc = v.codec()
		}
		if !bc.bound || !c.sendOK[kVideo].Load() {
			if !wait(time.Now().Add(50 * time.Millisecond)) {
				return
			}
			next = time.Now()
			continue
		}
		name := strings.ToUpper(strings.TrimPrefix(bc.mime, "video/"))
		frame, dur, err := src.ReadVideoFrame(ctx, VideoFormat{Codec: name, Height: c.opts.VideoHeight})
		if err != nil {
			return
		}
		if dur <= 0 {
			dur = time.Second / 30
		}
		if pk == nil || gen != bc.gen {
			var pay rtp.Payloader
			switch name {
			case "VP8":
				pay = &codecs.VP8Payloader{EnablePictureID: true}
			case "H264":
				pay = &codecs.H264Payloader{}
			default:
				return
			}
			pk = rtp.NewPacketizer(1200, bc.pt, bc.ssrc, pay, rtp.NewRandomSequencer(), 90000)
			gen = bc.gen
		}
		samples := uint32(dur * 90000 / time.Second)
		if c.Held() {
			pk.SkipSamples(samples)
		} else {
			for _, p := range pk.Packetize(frame, samples) {
				if v.write(&p.Header, p.Payload) && c.connected.Load() {
					c.txPkts[kVideo].Add(1)
					c.txBytes[kVideo].Add(uint64(len(p.Payload)))
				}
			}
		}
		next = next.Add(dur)
		if now := time.Now(); next.Before(now) {
			next = now
		}
		if !wait(next) {
			return
		}
	}
}
