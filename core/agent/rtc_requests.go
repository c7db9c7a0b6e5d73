package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudcc/agent-sdk/core/protocol"
	"github.com/cloudcc/agent-sdk/core/rtc"
	"github.com/google/uuid"
)

func (a *Agent) lang() string { return a.sess.Config().Language }

func (a *Agent) text(zh, en string) string {
	if strings.HasPrefix(strings.ToLower(a.lang()), "en") {
		return en
	}
	return zh
}

func fillReqID(h *protocol.Header) string {
	if h.ReqID == "" {
		h.ReqID = uuid.NewString()
	}
	return h.ReqID
}

// localRefusal is a reply the SDK makes itself, code "1".
func localRefusal(t protocol.MsgType, reqID, msg string) (protocol.Reply, error) {
	r := &protocol.BasicReply{ReplyHeader: protocol.ReplyHeader{ReqID: reqID, MsgType: t, Code: "1", Msg: msg}}
	return r, r.Err()
}

// findCall returns the live call of uuid, or the agent's current call for
// uuid "": the newest answered one, else the newest ringing one.
func (in *phoneInst) findCall(uuid string) *rtc.Call {
	if uuid != "" {
		if c := in.ph.CallByUUID(uuid); c != nil {
			return c
		}
		return in.adoptCall(uuid, false)
	}
	var best *rtc.Call
	var bestT time.Time
	bestAns := false
	for _, c := range in.ph.Calls() {
		st := c.State()
		if st == rtc.CallEnded {
			continue
		}
		ans := c.Media() != nil
		t := c.Timings().Created
		if best == nil || (ans && !bestAns) || (ans == bestAns && t.After(bestT)) {
			best, bestT, bestAns = c, t, ans
		}
	}
	return best
}

func (a *Agent) mute(m *protocol.MuteRequest) (protocol.Reply, error) {
	in := a.cur()
	if in == nil {
		return nil, ErrMuteNeedsRTC
	}
	reqID := fillReqID(&m.Header)
	c := in.findCall(m.UUID)
	if c == nil {
		return localRefusal(protocol.MsgMute, reqID, a.text("话机上没有该通话", "no such call on the agent's phone"))
	}
	mc, ok := c.Media().(*rtc.MediaCall)
	if !ok {
		return localRefusal(protocol.MsgMute, reqID, a.text("通话尚未接通", "the call is not answered yet"))
	}
	mc.SetMuted(bool(m.Mute))
	return &protocol.MuteReply{ReplyHeader: protocol.ReplyHeader{ReqID: reqID, MsgType: protocol.MsgMute, Code: "0", Msg: "success"}, Mute: m.Mute}, nil
}

// dtmf sends the digits on the agent's call leg; ok false: no RTC call,
// send the request to the CTI server.
func (a *Agent) dtmf(ctx context.Context, r *protocol.DTMFRequest) (protocol.Reply, bool, error) {
	in := a.cur()
	if in == nil {
		return nil, false, nil
	}
	c := in.findCall(r.UUID)
	if c == nil {
		return nil, false, nil
	}
	reqID := fillReqID(&r.Header)
	t := int(protocol.DTMFRFC2833)
	if r.DTMFType != nil {
		t = int(*r.DTMFType)
	}
	mode, err := rtc.DTMFModeFromSpec(t)
	if err == nil && r.Content == "" {
		err = fmt.Errorf("%w: no digits", rtc.ErrInvalidArgument)
	}
	if err == nil {
		err = c.SendDTMF(ctx, r.Content, mode) // in order across modes (core/rtc)
	}
	if err != nil {
		rep, rerr := localRefusal(protocol.MsgDTMF, reqID, a.text("发送DTMF失败: ", "sending DTMF failed: ")+err.Error())
		return rep, true, rerr
	}
	return &protocol.BasicReply{ReplyHeader: protocol.ReplyHeader{ReqID: reqID, MsgType: protocol.MsgDTMF, Code: "0", Msg: "success"}}, true, nil
}

// answer answers the SIP call first, then the CTI call.
func (a *Agent) answer(ctx context.Context, in *phoneInst, r *protocol.AnswerRequest) (protocol.Reply, error) {
	wait := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)/2)
	}
	c := a.waitCall(ctx, in, r.UUID, wait)
	answered := false
	if c == nil {
		a.log.Warn("rtc: answer: no SIP call for the uuid; answering over CTI only", "uuid", r.UUID)
	} else if c.State() == rtc.CallRinging {
		var opts rtc.AnswerOptions
		if r.Audio != nil || r.Video != nil {
			opts.SetDirections = true
			opts.Audio, opts.Video = rtc.SendRecv, rtc.SendRecv
			if r.Audio != nil {
				opts.Audio = rtc.Direction(*r.Audio)
			}
			if r.Video != nil {
				opts.Video = rtc.Direction(*r.Video)
			}
		}
		err := c.Answer(ctx, opts)
		switch {
		case err == nil:
			answered = true
		case !errors.Is(err, rtc.ErrBusy):
			a.log.Warn("rtc: answer: SIP answer failed", "uuid", r.UUID, "err", err)
		}
	}
	if answered {
		// The phone's 200 OK is the answer: the platform sees the agent's
		// leg answered (its status push follows), as with its own web
		// toolbar. A CTI answer now would find the leg answered and fail
		// ("接听失败!"), so it is not sent.
		reqID := fillReqID(&r.Header)
		return &protocol.BasicReply{ReplyHeader: protocol.ReplyHeader{ReqID: reqID, MsgType: protocol.MsgAnswer, Code: "0", Msg: "success"}}, nil
	}
	return a.sess.Do(ctx, r)
}

// callForAnswer is the call an answer of uuid is about: the call of that
// uuid, or the one ringing call without a uuid (correlate.go).
func (in *phoneInst) callForAnswer(uuid string) *rtc.Call {
	if uuid == "" {
		return in.findCall("")
	}
	if c := in.ph.CallByUUID(uuid); c != nil {
		return c
	}
	return in.adoptCall(uuid, true)
}

// waitCall waits up to d (and ctx) for the call of uuid to show up.
func (a *Agent) waitCall(ctx context.Context, in *phoneInst, uuid string, d time.Duration) *rtc.Call {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		a.rmu.Lock()
		sig := a.callSig
		a.rmu.Unlock()
		if c := in.callForAnswer(uuid); c != nil {
			return c
		}
		select {
		case <-sig:
		case <-t.C:
			return nil
		case <-ctx.Done():
			return nil
		case <-in.stop:
			return nil
		}
	}
}
