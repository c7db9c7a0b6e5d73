package pbxtest

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/cloudcc/agent-sdk/internal/pbx"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// A call of the test agent: its SDP, media (tone, DTMF) and in-dialog
// requests.

// agentTrack writes whole RTP packets with a chosen payload type.
type agentTrack struct {
	kind   webrtc.RTPCodecType
	mu     sync.Mutex
	w      webrtc.TrackLocalWriter
	ssrc   uint32
	pt     uint8
	mime   string
	evPT   uint8
	hasEv  bool
	binded bool
}

func (t *agentTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var chosen *webrtc.RTPCodecParameters
	cs := ctx.CodecParameters()
	for i := range cs {
		if strings.EqualFold(cs[i].MimeType, "audio/telephone-event") {
			t.evPT, t.hasEv = uint8(cs[i].PayloadType), true
		} else if chosen == nil {
			chosen = &cs[i]
		}
	}
	if chosen == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.w, t.ssrc, t.pt, t.mime, t.binded = ctx.WriteStream(), uint32(ctx.SSRC()), uint8(chosen.PayloadType), strings.ToLower(chosen.MimeType), true
	return *chosen, nil
}

func (t *agentTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.binded = false
	t.mu.Unlock()
	return nil
}

func (t *agentTrack) ID() string { return t.kind.String() }

func (t *agentTrack) RID() string { return "" }

func (t *agentTrack) StreamID() string { return "agent" }

func (t *agentTrack) Kind() webrtc.RTPCodecType { return t.kind }

func (t *agentTrack) send(h rtp.Header, payload []byte, event bool) bool {
	t.mu.Lock()
	w, ok, ssrc, pt := t.w, t.binded, t.ssrc, t.pt
	if event {
		pt, ok = t.evPT, ok && t.hasEv
	}
	t.mu.Unlock()
	if !ok {
		return false
	}
	h.Version, h.SSRC, h.PayloadType = 2, ssrc, pt
	_, err := w.WriteRTP(&h, payload)
	return err == nil
}

type dtmfJob struct {
	digit  byte
	inband bool
}

type Call struct {
	a          *Agent
	sess       *sipgo.DialogServerSession
	Invite     *sip.Request
	UUID       string // its X-CC-UUID
	AutoAnswer bool   // it carried answer-after=0
	pc         *webrtc.PeerConnection
	audio      *agentTrack
	video      *agentTrack

	answered  chan struct{}
	responded chan struct{} // closed once Answer is done with the INVITE transaction
	ended     chan struct{}
	endOnce   sync.Once
	answerOne sync.Once

	mu        sync.Mutex
	sendAudio bool
	sendVideo bool
	dtmf      []dtmfJob
	rxAudio   int
	rxVideo   int
	txAudio   int
	pcm       []int16
	endedBy   string
	wg        sync.WaitGroup
}

func (c *Call) Answer() error {
	var err error
	c.answerOne.Do(func() { err = c.doAnswer() })
	return err
}

func (c *Call) doAnswer() error {
	defer close(c.responded)
	pc, err := c.a.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	c.pc = pc
	c.audio = &agentTrack{kind: webrtc.RTPCodecTypeAudio}
	c.video = &agentTrack{kind: webrtc.RTPCodecTypeVideo}
	pc.OnTrack(c.onTrack)
	sdpText, err := c.negotiate(string(c.Invite.Body()))
	if err != nil {
		return err
	}
	close(c.answered)
	c.wg.Add(1)
	go c.sendLoop()
	// sipgo's RespondSDP waits for the ACK, and sipgo runs each request's
	// handler on its own goroutine: a BYE right after the ACK can be seen
	// first and end the dialog, which sipgo reports as "No ACK received".
	if err := c.sess.RespondSDP([]byte(sdpText)); err != nil && !strings.Contains(err.Error(), "ACK") {
		return err
	}
	return nil
}

// negotiate answers an offer. pion's transceiver directions are sticky
// (after answering an inactive offer it answers a later sendrecv offer
// recvonly), so pion is shown every live m= line as sendrecv and the
// directions of the answer on the wire are set here: the mirror of the
// offer's, as an agent that always wants both ways does.
func (c *Call) negotiate(offer string) (string, error) {
	pc := c.pc
	offerDirs, view, err := rewriteDirs(offer, func(string, string) string { return "sendrecv" })
	if err != nil {
		return "", err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: view}); err != nil {
		return "", err
	}
	for _, tr := range pc.GetTransceivers() {
		if tr.Sender() != nil && tr.Sender().Track() != nil {
			continue
		}
		trk := c.audio
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			trk = c.video
		}
		if _, err := pc.AddTrack(trk); err != nil {
			return "", err
		}
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return "", err
	}
	<-done
	mirror := map[string]string{"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}
	sendA, sendV := false, false
	_, wire, err := rewriteDirs(pc.LocalDescription().SDP, func(mid, kind string) string {
		d := mirror[offerDirs[mid]]
		sends := d == "sendrecv" || d == "sendonly"
		if kind == "audio" {
			sendA = sends
		} else {
			sendV = sends
		}
		return d
	})
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.sendAudio, c.sendVideo = sendA, sendV
	c.mu.Unlock()
	return wire, nil
}

// rewriteDirs returns each live m= line's direction by mid, and the SDP
// with each live line's direction set to dir(mid, kind).
func rewriteDirs(raw string, dir func(mid, kind string) string) (map[string]string, string, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return nil, "", err
	}
	dirs := map[string]string{}
	isDir := func(k string) bool { return k == "sendrecv" || k == "sendonly" || k == "recvonly" || k == "inactive" }
	for _, md := range sd.MediaDescriptions {
		mid, _ := md.Attribute("mid")
		cur := "sendrecv"
		var attrs []sdp.Attribute
		for _, a := range md.Attributes {
			if isDir(a.Key) {
				cur = a.Key
				continue
			}
			attrs = append(attrs, a)
		}
		dirs[mid] = cur
		if md.MediaName.Port.Value == 0 {
			continue
		}
		md.Attributes = append(attrs, sdp.NewPropertyAttribute(dir(mid, md.MediaName.Media)))
	}
	out, err := sd.Marshal()
	return dirs, string(out), err
}

func (c *Call) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	ans, err := c.negotiate(string(req.Body()))
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, err.Error(), nil))
		return
	}
	res := sip.NewSDPResponseFromRequest(req, []byte(ans))
	res.AppendHeader(sip.HeaderClone(&c.a.dua.ContactHDR))
	_ = tx.Respond(res)
}

func (c *Call) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				select {
				case <-c.ended:
					return
				default:
				}
				if strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "closed") {
					return
				}
				continue
			}
			c.mu.Lock()
			if tr.Kind() == webrtc.RTPCodecTypeVideo {
				c.rxVideo++
			} else {
				c.rxAudio++
				for _, b := range pkt.Payload {
					if pkt.PayloadType == 8 {
						c.pcm = append(c.pcm, pbx.DecodeALaw(b))
					} else {
						c.pcm = append(c.pcm, pbx.DecodeULaw(b))
					}
				}
				if len(c.pcm) > 2*pbx.SampleRate {
					c.pcm = append([]int16(nil), c.pcm[len(c.pcm)-pbx.SampleRate:]...)
				}
			}
			c.mu.Unlock()
		}
	}()
}

func (c *Call) Stats() (rxAudio, rxVideo, txAudio int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rxAudio, c.rxVideo, c.txAudio
}

func (c *Call) Recent(n int) []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n = min(n, len(c.pcm))
	return append([]int16(nil), c.pcm[len(c.pcm)-n:]...)
}

// QueueDTMF sends digits as RFC 4733 events or inband tones.
func (c *Call) QueueDTMF(digits string, inband bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range len(digits) {
		c.dtmf = append(c.dtmf, dtmfJob{digit: digits[i], inband: inband})
	}
}

func (c *Call) sendLoop() {
	defer c.wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	tone := pbx.ToneGen{Freqs: []float64{c.a.toneHz}, Amplitude: 8000}
	var job *dtmfJob
	var jobFrame int
	var jobGen pbx.ToneGen
	seq, ts := uint16(rand.Uint32()), rand.Uint32()
	var evTS uint32
	pcm := make([]int16, pbx.FrameSamples)
	payload := make([]byte, pbx.FrameSamples)
	for n := 0; ; n++ {
		select {
		case <-c.ended:
			return
		case <-tick.C:
		}
		ts += pbx.FrameSamples
		c.mu.Lock()
		sendA, sendV := c.sendAudio, c.sendVideo
		if job == nil && len(c.dtmf) > 0 {
			j := c.dtmf[0]
			c.dtmf = c.dtmf[1:]
			job, jobFrame, evTS = &j, 0, ts
			lo, hi, _ := pbx.DTMFFreqs(j.digit)
			jobGen = pbx.ToneGen{Freqs: []float64{lo, hi}, Amplitude: 7000}
		}
		c.mu.Unlock()
		if sendV && n%5 == 0 {
			_ = c.video.send(rtp.Header{SequenceNumber: uint16(n), Timestamp: uint32(n) * 1800, Marker: true}, []byte{0x10, 0, 0x9d, 0x01, 0x2a, 'a'}, false)
		}
		if !sendA {
			continue
		}
		if job != nil && !job.inband {
			// RFC 4733: 6 packets of the event, then 3 copies of its end.
			const frames, ends = 6, 3
			end := jobFrame >= frames
			dur := uint16(min(jobFrame+1, frames) * pbx.FrameSamples)
			code, _ := pbx.DTMFEventCode(job.digit)
			ev := []byte{code, 10, byte(dur >> 8), byte(dur)}
			if end {
				ev[1] |= 0x80
			}
			c.audio.send(rtp.Header{SequenceNumber: seq, Timestamp: evTS, Marker: jobFrame == 0}, ev, true)
			seq++
			jobFrame++
			if jobFrame >= frames+ends {
				job = nil
			}
			continue
		}
		switch {
		case job != nil && jobFrame < 6: // 120 ms of the digit's two tones
			jobGen.Fill(pcm)
			jobFrame++
		case job != nil: // then 80 ms of silence
			clear(pcm)
			jobFrame++
			if jobFrame >= 10 {
				job = nil
			}
		default:
			tone.Fill(pcm)
		}
		c.audio.mu.Lock()
		alaw := c.audio.mime == "audio/pcma"
		c.audio.mu.Unlock()
		for i, s := range pcm {
			if alaw {
				payload[i] = pbx.EncodeALaw(s)
			} else {
				payload[i] = pbx.EncodeULaw(s)
			}
		}
		if c.audio.send(rtp.Header{SequenceNumber: seq, Timestamp: ts}, payload, false) {
			c.mu.Lock()
			c.txAudio++
			c.mu.Unlock()
		}
		seq++
	}
}

// info sends a SIP INFO DTMF digit in the dialog.
func (c *Call) Info(ctx context.Context, digit string) (int, error) {
	req := sip.NewRequest(sip.INFO, c.Invite.Contact().Address)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody([]byte("Signal=" + digit + "\r\nDuration=160\r\n"))
	res, err := c.sess.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// hold re-INVITEs with audio sendonly (on) or sendrecv (off), rewriting
// pion's offer as a softphone's hold button would.
func (c *Call) Hold(ctx context.Context, on bool) (int, error) {
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		return 0, err
	}
	done := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		return 0, err
	}
	<-done
	wire := c.pc.LocalDescription().SDP
	if on {
		wire = strings.ReplaceAll(wire, "a=sendrecv", "a=sendonly")
	}
	req := sip.NewRequest(sip.INVITE, c.Invite.Contact().Address)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte(wire))
	res, err := c.sess.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	ack := sip.NewRequest(sip.ACK, c.Invite.Contact().Address)
	if err := c.sess.WriteRequest(ack); err != nil {
		return 0, err
	}
	if res.StatusCode/100 == 2 {
		if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(res.Body())}); err != nil {
			return 0, err
		}
	}
	return res.StatusCode, nil
}

func (c *Call) Bye(ctx context.Context) error {
	err := c.sess.Bye(ctx)
	c.close("agent")
	return err
}

func (c *Call) close(by string) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.endedBy = by
		c.mu.Unlock()
		close(c.ended)
		if c.pc != nil {
			_ = c.pc.Close()
		}
		c.wg.Wait()
	})
}

// Ended is closed when the call is over.
func (c *Call) Ended() <-chan struct{} { return c.ended }

// Answered is closed once the agent answered the call.
func (c *Call) Answered() <-chan struct{} { return c.answered }

// EndedBy says who ended the call ("pbx", "agent", "cancelled", "rejected", ...).
func (c *Call) EndedBy() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endedBy
}

// Sending reports whether the agent currently sends audio and video (as its
// last SDP answer allows).
func (c *Call) Sending() (audio, video bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sendAudio, c.sendVideo
}
