package media

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// gather sets desc as the local description and returns the complete SDP
// once ICE gathering is done (SIP peers do not trickle).
func (c *Call) gather(ctx context.Context, desc webrtc.SessionDescription) (string, error) {
	if err := c.pc.SetLocalDescription(desc); err != nil {
		return "", err
	}
	done := webrtc.GatheringCompletePromise(c.pc)
	t := time.NewTimer(c.e.cfg.GatherTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-ctx.Done():
		return "", ctx.Err()
	case <-c.closed:
		return "", ErrClosed
	case <-t.C:
		return "", ErrGathering
	}
	return c.pc.LocalDescription().SDP, nil
}

// localDir is the direction we put in our SDP for a kind. c.mu held.
func (c *Call) localDir(kind int) Direction {
	d := c.want[kind]
	if c.held {
		d &= SendOnly // sendrecv → sendonly, recvonly → inactive
	}
	return d
}

func kindIndex(k string) int {
	if k == "video" {
		return kVideo
	}
	return kAudio
}

func (c *Call) extraAttrs(kind string) []sdp.Attribute {
	if kind != "video" || c.opts.VideoHeight <= 0 {
		return nil
	}
	h := c.opts.VideoHeight
	w := (h*16/9 + 15) &^ 15
	return []sdp.Attribute{sdp.NewAttribute("imageattr", fmt.Sprintf("* recv [x=[16:%d],y=[16:%d]]", w, h))}
}

// CreateOffer makes a complete offer (all candidates, c= and m= port of
// the default candidate, a=setup:actpass, rtcp-mux, BUNDLE) with the
// current directions and hold state. With iceRestart it asks for new ICE
// credentials (for a network change).
func (c *Call) CreateOffer(ctx context.Context, iceRestart bool) (string, error) {
	c.negMu.Lock()
	defer c.negMu.Unlock()
	if c.closedNow() {
		return "", ErrClosed
	}
	c.mu.Lock()
	wantVideo := c.want[kVideo] != Inactive
	c.mu.Unlock()
	if wantVideo {
		if err := c.ensureVideo(); err != nil {
			return "", err
		}
	}
	offer, err := c.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: iceRestart})
	if err != nil {
		return "", err
	}
	raw, err := c.gather(ctx, offer)
	if err != nil {
		return "", err
	}
	secs, err := parseSDP(raw)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	dirs := map[string]Direction{}
	for _, s := range secs {
		k := kindIndex(s.Kind)
		c.kindOf[s.Mid] = k
		dirs[s.Mid] = c.localDir(k)
	}
	wire, err := toWire(raw, wireOpts{dirOf: func(mid string) (Direction, bool) { d, ok := dirs[mid]; return d, ok }, extra: c.extraAttrs})
	if err != nil {
		return "", err
	}
	c.pending = dirs
	return wire, nil
}

// RollbackOffer drops our pending offer (the re-INVITE that carried it
// failed): the call goes on with the last agreed offer/answer.
func (c *Call) RollbackOffer() error {
	c.negMu.Lock()
	defer c.negMu.Unlock()
	if c.closedNow() {
		return ErrClosed
	}
	c.mu.Lock()
	c.pending = nil
	c.mu.Unlock()
	return c.rollbackLocal()
}

// rollbackLocal returns pion to stable from have-local-offer. pion has no
// local rollback, so the pending offer is completed with the peer's last
// SDP as the answer (same ICE credentials, fingerprint and DTLS role, so
// the transport goes on untouched); m= lines the offer added are answered
// rejected.
func (c *Call) rollbackLocal() error {
	if c.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		return nil
	}
	prev, pend := c.pc.CurrentRemoteDescription(), c.pc.PendingLocalDescription()
	if prev == nil || pend == nil {
		return ErrNoRollback
	}
	var ps, ls sdp.SessionDescription
	if err := ps.UnmarshalString(prev.SDP); err != nil {
		return err
	}
	if err := ls.UnmarshalString(pend.SDP); err != nil {
		return err
	}
	if cur := c.pc.CurrentLocalDescription(); cur == nil || sdpValue(pend.SDP, "ice-ufrag") != sdpValue(cur.SDP, "ice-ufrag") {
		return ErrNoRollback // an ICE restart cannot be taken back
	}
	c.mu.Lock()
	role := c.remoteSetup
	c.mu.Unlock()
	if role == "" {
		role = "active"
	}
	fixSetup := func(attrs []sdp.Attribute) {
		for i := range attrs {
			if attrs[i].Key == "setup" {
				attrs[i].Value = role
			}
		}
	}
	fixSetup(ps.Attributes)
	for _, md := range ps.MediaDescriptions {
		fixSetup(md.Attributes)
	}
	for i := len(ps.MediaDescriptions); i < len(ls.MediaDescriptions); i++ {
		lm := ls.MediaDescriptions[i]
		md := &sdp.MediaDescription{
			MediaName: sdp.MediaName{Media: lm.MediaName.Media, Port: sdp.RangedPort{Value: 0},
				Protos: lm.MediaName.Protos, Formats: lm.MediaName.Formats},
		}
		for _, a := range lm.Attributes {
			switch a.Key {
			case "mid", "rtpmap", "fmtp", "rtcp-mux":
				md.Attributes = append(md.Attributes, a)
			}
		}
		md.Attributes = append(md.Attributes, sdp.NewPropertyAttribute("inactive"))
		ps.MediaDescriptions = append(ps.MediaDescriptions, md)
	}
	b, err := ps.Marshal()
	if err != nil {
		return err
	}
	return c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(b)})
}

// AcceptOffer takes the peer's offer (initial or re-offer) and returns our
// complete answer: the DTLS role the offer leaves us (active to actpass),
// c= and m= port of the default candidate, and the offer's transport
// mirrored (no BUNDLE group, a=mid or rtcp-mux the offer did not have).
// Without BUNDLE the call runs on the first live audio line; any other
// live line is rejected (port 0) with the reason logged. A pending local
// offer is rolled back (glare is the signalling layer's to resolve).
func (c *Call) AcceptOffer(ctx context.Context, offer string) (string, error) {
	c.negMu.Lock()
	defer c.negMu.Unlock()
	if c.closedNow() {
		return "", ErrClosed
	}
	view, secs, shape, err := peerView(offer, nil)
	if err != nil {
		return "", fmt.Errorf("media: bad offer: %w", err)
	}
	if err := c.rollbackLocal(); err != nil {
		return "", fmt.Errorf("media: rollback of our pending offer: %w", err)
	}
	c.mu.Lock()
	c.pending = nil
	c.mu.Unlock()
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: view}); err != nil {
		return "", err
	}
	video := false
	for _, s := range secs {
		if s.Kind == "video" && !s.Rejected {
			video = true
		}
	}
	c.mu.Lock()
	wantVideo := c.want[kVideo] != Inactive
	c.mu.Unlock()
	if video && (wantVideo || c.hasVideoTrack()) {
		if err := c.ensureVideo(); err != nil {
			return "", err
		}
	}
	// Re-apply codec preferences now that the remote's numbering is known.
	for _, tr := range c.pc.GetTransceivers() {
		if tr.Sender() == nil {
			continue
		}
		switch tr.Sender().Track() {
		case c.audio:
			_ = tr.SetCodecPreferences(c.audioPrefs())
		default:
			if vp := c.videoPrefs(); vp != nil && tr.Kind() == webrtc.RTPCodecTypeVideo {
				_ = tr.SetCodecPreferences(vp)
			}
		}
	}
	ans, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	raw, err := c.gather(ctx, ans)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	dirs := map[string]Direction{}
	for _, s := range secs {
		k := kindIndex(s.Kind)
		c.kindOf[s.Mid] = k
		dirs[s.Mid] = s.Dir.Mirror() & c.localDir(k)
	}
	wire, err := toWire(raw, wireOpts{dirOf: func(mid string) (Direction, bool) { d, ok := dirs[mid]; return d, ok }, extra: c.extraAttrs, peer: &shape})
	if err != nil {
		return "", err
	}
	for _, why := range rejectedStreams(shape, raw) {
		c.log.Warn("media: stream rejected (port 0 in the answer)", "why", why)
	}
	for mid, d := range dirs {
		c.local[mid] = d
	}
	if c.remoteSetup == "" { // we answered first: the peer has the other role
		if sdpValue(raw, "setup") == "passive" {
			c.remoteSetup = "active"
		} else {
			c.remoteSetup = "passive"
		}
	}
	c.noteRemote(secs, raw)
	c.armConnectTimerLocked()
	return wire, nil
}

// SetAnswer takes the peer's answer to our last offer.
func (c *Call) SetAnswer(answer string) error {
	c.negMu.Lock()
	defer c.negMu.Unlock()
	if c.closedNow() {
		return ErrClosed
	}
	var ours []string
	if ld := c.pc.PendingLocalDescription(); ld != nil {
		ours = midsOf(ld.SDP)
	} else if ld := c.pc.LocalDescription(); ld != nil {
		ours = midsOf(ld.SDP)
	}
	view, secs, _, err := peerView(answer, ours)
	if err != nil {
		return fmt.Errorf("media: bad answer: %w", err)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: view}); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for mid, d := range c.pending {
		c.local[mid] = d
	}
	c.pending = nil
	if c.remoteSetup == "" {
		c.remoteSetup = sdpValue(answer, "setup")
	}
	c.noteRemote(secs, c.pc.LocalDescription().SDP)
	c.armConnectTimerLocked()
	return nil
}

// noteRemote records the peer's SDP and works out what may flow. c.mu held.
func (c *Call) noteRemote(secs []mediaSection, localRaw string) {
	for _, s := range secs {
		k := kindIndex(s.Kind)
		c.kindOf[s.Mid] = k
		c.remote[s.Mid] = s.Dir
		c.rejected[s.Mid] = s.Rejected
	}
	var send, recv [2]bool
	for mid, k := range c.kindOf {
		r, ok := c.remote[mid]
		if !ok || c.rejected[mid] {
			continue
		}
		l := c.local[mid]
		send[k] = send[k] || (l.Sends() && r.Receives())
		recv[k] = recv[k] || (l.Receives() && r.Sends())
	}
	for k := range 2 {
		c.sendOK[k].Store(send[k])
		c.recvOK[k].Store(recv[k])
	}
	c.negotiated = true
	// Payload types the peer may send us: ours and the ones it declared.
	t := defaultPTKinds()
	add := func(ss []mediaSection) {
		for _, s := range ss {
			if s.Kind != "audio" {
				continue
			}
			for pt, name := range s.Codecs {
				switch {
				case pt >= 128:
				case strings.HasPrefix(name, "pcmu/"):
					t[pt] = plPCMU
				case strings.HasPrefix(name, "pcma/"):
					t[pt] = plPCMA
				case strings.HasPrefix(name, "telephone-event/8000"):
					t[pt] = plTE
				case strings.HasPrefix(name, "telephone-event/48000"):
					t[pt] = plTE48
				case strings.HasPrefix(name, "opus/48000") && opusAvailable:
					t[pt] = plOpus
				}
			}
		}
	}
	if ls, err := parseSDP(localRaw); err == nil {
		add(ls)
	}
	add(secs)
	c.ptKinds.Store(t)
	c.log.Debug("media negotiated", "send_audio", send[0], "recv_audio", recv[0], "send_video", send[1], "recv_video", recv[1])
}

// SetDirections changes the wanted directions (the spec's ints); they take
// effect in the next offer or answer.
func (c *Call) SetDirections(audio, video Direction) error {
	if !audio.valid() || !video.valid() {
		return ErrBadDirection
	}
	c.mu.Lock()
	c.want = [2]Direction{audio, video}
	c.mu.Unlock()
	return nil
}

// Directions returns the wanted directions.
func (c *Call) Directions() (audio, video Direction) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.want[0], c.want[1]
}

// NegotiatedDirections returns, per kind, whether media is sent and
// received now according to the last offer/answer (hold not counted).
func (c *Call) NegotiatedDirections() (audio, video Direction) {
	d := func(k int) Direction {
		var x Direction
		if c.sendOK[k].Load() {
			x |= SendOnly
		}
		if c.recvOK[k].Load() {
			x |= RecvOnly
		}
		return x
	}
	return d(kAudio), d(kVideo)
}

// SetHold puts the call on local hold (the next offer says sendonly, or
// inactive where we only received) and stops sending at once; false
// resumes sending, and the next offer restores the directions.
func (c *Call) SetHold(on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed {
		return ErrClosed
	}
	c.held = on
	return nil
}

// Held reports whether the call is on local hold.
func (c *Call) Held() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
}
