package main

/*
#include "bridge.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	json "github.com/goccy/go-json"

	"github.com/cloudcc/agent-sdk/core/agent"
)

// The media controls of RTC mode (cloudcc.h, "RTC mode"). They act on the
// agent's phone, not on the CTI link, so they answer at once.

type mediaParams struct {
	UUID string  `json:"uuid"`
	Path string  `json:"path"`
	Loop bool    `json:"loop"`
	Hz   float64 `json:"hz"`
}

func (c *client) media(name string, params []byte) (int, []byte) {
	var p mediaParams
	if len(params) > 0 {
		if err := json.Unmarshal(params, &p); err != nil {
			return ccInvalidArgument, errorJSON(ccInvalidArgument, c.lang, errors.New("params are not a JSON object"), nil)
		}
	}
	a := c.ag
	var err error
	reply := map[string]any{"code": "0", "msg": "success"}
	switch name {
	case "play_wav":
		if p.Path == "" {
			err = fmt.Errorf("%w: play_wav needs path", errBadMediaParam)
		} else {
			err = a.PlayWAV(p.UUID, p.Path, p.Loop)
		}
	case "play_tone":
		if p.Hz <= 0 {
			err = fmt.Errorf("%w: play_tone needs hz > 0", errBadMediaParam)
		} else {
			err = a.PlayTone(p.UUID, p.Hz)
		}
	case "stop_play":
		err = a.StopPlay(p.UUID)
	case "record_wav":
		if p.Path == "" {
			err = fmt.Errorf("%w: record_wav needs path", errBadMediaParam)
		} else {
			err = a.RecordWAV(p.UUID, p.Path)
		}
	case "stop_record":
		err = a.StopRecord(p.UUID)
	case "stats":
		q, e := a.CallQuality(p.UUID)
		if err = e; err == nil {
			q.MsgType = ""
			reply["stats"] = q
		}
	case "calls":
		if a.Phone() == nil {
			err = agent.ErrNoRTC
			break
		}
		calls := a.RTCCalls()
		if calls == nil {
			calls = []string{}
		}
		reply["calls"] = calls
	default:
		err = fmt.Errorf("%w: unknown media call %q", errBadMediaParam, name)
	}
	if err != nil {
		st := statusOf(err)
		return st, errorJSON(st, c.lang, err, nil)
	}
	b, mErr := json.Marshal(reply)
	if mErr != nil {
		return ccInternal, errorJSON(ccInternal, c.lang, mErr, nil)
	}
	return ccOK, b
}

var errBadMediaParam = errors.New("invalid media parameters")

//export cc_client_media
func cc_client_media(h *C.cc_client_t, name *C.char, paramsJSON *C.char, replyJSON **C.char) (status C.int) {
	defer guard(&status, replyJSON)
	clearOut(replyJSON)
	c := lookup(h)
	if c == nil {
		setOut(nil, replyJSON, errorJSON(ccInvalidHandle, "", nil, nil), nil)
		return ccInvalidHandle
	}
	n, ok := goString(name)
	if !ok {
		setOut(c, replyJSON, errorJSON(ccInvalidArgument, c.lang, errors.New("name is NULL"), nil), nil)
		return ccInvalidArgument
	}
	var params []byte
	if paramsJSON != nil {
		params = []byte(C.GoString(paramsJSON))
	}
	st, b := c.media(n, params)
	setOut(c, replyJSON, b, nil)
	return C.int(st)
}

//export cc_client_push_pcm
func cc_client_push_pcm(h *C.cc_client_t, uuid *C.char, samples *C.int16_t, count C.size_t, rate C.int) (status C.int) {
	defer guard(&status, nil)
	c := lookup(h)
	if c == nil {
		return ccInvalidHandle
	}
	if (samples == nil && count > 0) || rate <= 0 || count > 1<<24 {
		return ccInvalidArgument
	}
	u, _ := goString(uuid)
	var pcm []int16
	if count > 0 {
		// Copied: the host's buffer is only borrowed for this call.
		pcm = append([]int16(nil), unsafe.Slice((*int16)(unsafe.Pointer(samples)), int(count))...)
	}
	return C.int(statusOf(c.ag.PushPCM(u, int(rate), pcm)))
}

//export cc_client_set_pcm_sink
func cc_client_set_pcm_sink(h *C.cc_client_t, uuid *C.char, rate C.int, fn C.cc_pcm_fn, ud C.uintptr_t) (status C.int) {
	defer guard(&status, nil)
	c := lookup(h)
	if c == nil {
		return ccInvalidHandle
	}
	if fn != nil && rate <= 0 {
		return ccInvalidArgument
	}
	u, _ := goString(uuid)
	if fn == nil {
		return C.int(statusOf(c.ag.SetPCMSink(u, int(rate), nil)))
	}
	sink := func(pcm []int16) {
		// A media goroutine: recover so a fault here never reaches the host.
		defer func() { _ = recover() }()
		if len(pcm) == 0 {
			return
		}
		// Counted like an async reply, so cc_client_free returns only once
		// no frame callback runs (and works from inside one).
		if !c.enterCallback() {
			return
		}
		defer c.exitCallback()
		cu := C.CString(u)
		defer C.free(unsafe.Pointer(cu))
		C.cc_bridge_call_pcm(fn, ud, cu, (*C.int16_t)(unsafe.Pointer(&pcm[0])), C.size_t(len(pcm)), rate, C.uintptr_t(c.id))
	}
	return C.int(statusOf(c.ag.SetPCMSink(u, int(rate), sink)))
}
