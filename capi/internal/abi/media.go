package abi

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

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
	if len(params) > 0 && !ownParams[name] {
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
	case "audio_devices", "audio_select", "audio_processing", "audio_ringtone":
		err = c.audioMedia(name, params, reply) // media_audio.go
	case "precall_test":
		return c.precallTest(params) // precall.go: its own parameters and reply
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

// ownParams are the media calls that read their parameters themselves,
// with decodeParams: each takes its own keys only.
var ownParams = map[string]bool{"audio_devices": true, "audio_select": true, "audio_processing": true,
	"audio_ringtone": true, "precall_test": true}

// decodeParams reads the parameters of media call name into dst: none (or
// null), or a JSON object of the keys it takes. Any other key is refused,
// so that a misspelt one ("aek") is not taken for a call without it (and a
// key in another case for the key: the decoder would match it). A value
// of the wrong type is refused too.
func decodeParams(name string, params []byte, dst any, keys ...string) error {
	if len(bytes.TrimSpace(params)) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(params, &m); err != nil {
		return fmt.Errorf("%w: %s: params are not a JSON object", errBadMediaParam, name)
	}
	var unknown []string
	for k := range m {
		if !slices.Contains(keys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		takes := "it takes none"
		if len(keys) > 0 {
			takes = "its keys: " + strings.Join(keys, ", ")
		}
		return fmt.Errorf("%w: %s takes no key %q (%s)", errBadMediaParam, name, unknown[0], takes)
	}
	if err := json.Unmarshal(params, dst); err != nil {
		return fmt.Errorf("%w: %s: %w", errBadMediaParam, name, errParamType{err})
	}
	return nil
}

// errParamType is decodeParams' error for a value of the wrong type.
type errParamType struct{ error }

// Media is cc_client_media: a media control by name.
func Media(id uintptr, name, params Str) Result {
	return call(id, func(c *client) Result {
		if name.Null {
			return fail(c, ccInvalidArgument, errors.New("name is NULL"), nil)
		}
		st, b := c.media(name.S, []byte(params.S))
		return Result{st, c.out(b, nil)}
	})
}

// maxPCM bounds the samples of one cc_client_push_pcm (about 17 minutes
// at 16 kHz).
const maxPCM = 1 << 24

// PushPCM is cc_client_push_pcm: count samples at rate for the call uuid
// ("" the current one). read copies the host's samples into dst (len
// count); nil means the host passed NULL. It is called only once the
// arguments are known good: the host's buffer is only borrowed.
func PushPCM(id uintptr, uuid Str, count int, rate int, read func(dst []int16)) int {
	return call(id, func(c *client) Result {
		if (read == nil && count > 0) || rate <= 0 || count < 0 || count > maxPCM {
			return Result{Status: ccInvalidArgument}
		}
		var pcm []int16
		if count > 0 {
			pcm = make([]int16, count)
			read(pcm)
		}
		return Result{Status: statusOf(c.ag.PushPCM(uuid.S, rate, pcm))}
	}).Status
}

// SetPCMSink is cc_client_set_pcm_sink: fn gets the call's received audio
// at rate, nil stops it.
func SetPCMSink(id uintptr, uuid Str, rate int, fn PCMFunc) int {
	return call(id, func(c *client) Result {
		if fn != nil && rate <= 0 {
			return Result{Status: ccInvalidArgument}
		}
		if fn == nil {
			return Result{Status: statusOf(c.ag.SetPCMSink(uuid.S, rate, nil))}
		}
		u := uuid.S
		sink := func(pcm []int16) {
			// A media goroutine: recover so a fault here never reaches the host.
			defer func() { _ = recover() }()
			if len(pcm) == 0 {
				return
			}
			// Counted like an async reply, so Free returns only once no
			// frame callback runs (and works from inside one).
			if !c.enterCallback() {
				return
			}
			defer c.exitCallback()
			fn(u, pcm)
		}
		return Result{Status: statusOf(c.ag.SetPCMSink(u, rate, sink))}
	}).Status
}
