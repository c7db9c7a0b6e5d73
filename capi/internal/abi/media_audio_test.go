package abi

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudcc/agent-sdk/core/agent"
	"github.com/cloudcc/agent-sdk/core/session"
)

// The sound controls' answers to bad input, with no sound server (the
// PulseAudio harness's answers are tests/c's): each a clear refusal, and
// nothing changed.
func TestAudioMediaRefusals(t *testing.T) {
	h := begin(t)
	noSoundServer(t)
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws","language":"en-US"}`)
	for _, c := range []struct {
		name, params string
		status       int
		msg          string
	}{
		{"audio_select", ``, ccInvalidArgument, "audio_select needs role"},
		{"audio_select", `{"id":"x"}`, ccInvalidArgument, "audio_select needs role"},
		{"audio_select", `{"role":"headset","id":"x"}`, ccInvalidArgument, `audio role "headset"`},
		{"audio_select", `{"role":1}`, ccInvalidArgument, "audio_select: json"},
		{"audio_select", `{"role":"speaker","id":"x"}`, ccUnsupported, "no sound backend"},
		{"audio_devices", ``, ccUnsupported, "no sound backend (pulseaudio: "},
		{"audio_ringtone", ``, ccInvalidArgument, "audio_ringtone needs ringtone"},
		{"audio_ringtone", `{"ringtone":"loud"}`, ccInvalidArgument, `ringtone "loud" (want builtin, off or wav:PATH)`},
		{"audio_ringtone", `{"ringtone":"wav:` + floatWAV(t) + `"}`, ccInvalidArgument, "unsupported WAV"},
		{"audio_ringtone", `{"ringtone":"wav:/nonexistent/r.wav"}`, ccInvalidArgument, "no such file"},
		{"audio_processing", `{"aec":"yes"}`, ccInvalidArgument, "audio_processing: json"},
		{"audio_processing", `{"uuid":"call-1","aec":true}`, ccUnsupported, "not in RTC mode"},
	} {
		r := Media(id, Str{S: c.name}, Str{S: c.params})
		msg, _ := decode(t, r.JSON)["msg"].(string)
		if r.Status != c.status || !strings.Contains(msg, c.msg) {
			t.Errorf("Media(%s, %s) = %d %s, want %d and %q", c.name, c.params, r.Status, r.JSON, c.status, c.msg)
		}
	}
	// The refusals changed nothing: the switches are the defaults still,
	// the ringtone can be set.
	r := Media(id, Str{S: "audio_processing"}, Str{})
	if r.Status != ccOK || string(r.JSON) != `{"aec":false,"agc":false,"code":"0","msg":"success","ns":false,"vad":false}` {
		t.Fatalf("audio_processing read: %d %s", r.Status, r.JSON)
	}
	if r := Media(id, Str{S: "audio_ringtone"}, Str{S: `{"ringtone":"off"}`}); r.Status != ccOK {
		t.Fatalf("audio_ringtone off: %d %s", r.Status, r.JSON)
	}
}

// The client's switches for new calls: device mode starts with all on, a
// change sets what it names, "uuid":"" is the client's too.
func TestAudioProcessingDefaults(t *testing.T) {
	h := begin(t)
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws","rtc_audio":"device","audio_ns":false}`)
	for _, c := range []struct{ params, want string }{
		{``, `{"aec":true,"agc":true,"code":"0","msg":"success","ns":false,"vad":true}`},
		{`{"uuid":"","agc":false}`, `{"aec":true,"agc":false,"code":"0","msg":"success","ns":false,"vad":true}`},
		{`{"ns":true,"vad":false}`, `{"aec":true,"agc":false,"code":"0","msg":"success","ns":true,"vad":false}`},
	} {
		r := Media(id, Str{S: "audio_processing"}, Str{S: c.params})
		if r.Status != ccOK || string(r.JSON) != c.want {
			t.Errorf("audio_processing %s: %d %s\nwant %s", c.params, r.Status, r.JSON, c.want)
		}
	}
}

// The sound events as the ABI delivers them.
func TestAudioEventsJSON(t *testing.T) {
	begin(t)
	for _, c := range []struct {
		ev   session.Event
		want string
	}{
		{&agent.AudioDevicesChangedEvent{MsgType: agent.MsgAudioDevicesChanged, Added: []string{"cc_spk"}, Removed: []string{}},
			`{"msg_type":"audio_devices_changed","added":["cc_spk"],"removed":[],"default_changed":false}`},
		{&agent.AudioDeviceFallbackEvent{MsgType: agent.MsgAudioDeviceFallback, Role: "speaker", UUID: "u",
			Old: agent.AudioDeviceRef{ID: "a", Name: "A"}, New: agent.AudioDeviceRef{ID: "b", Name: "B"}},
			`{"msg_type":"audio_device_fallback","role":"speaker","uuid":"u","old":{"id":"a","name":"A"},"new":{"id":"b","name":"B"}}`},
		{&agent.AudioDeviceErrorEvent{MsgType: agent.MsgAudioDeviceError, Role: "microphone", ID: "m", Error: "audio: device failed to open"},
			`{"msg_type":"audio_device_error","role":"microphone","id":"m","error":"audio: device failed to open"}`},
	} {
		b, err := marshalEvent(c.ev)
		if err != nil || string(b) != c.want {
			t.Errorf("%T: %s %v\nwant %s", c.ev, b, err, c.want)
		}
	}
}

// noSoundServer points PulseAudio at nothing; the test needs a machine
// without an ALSA card too (CI's and this one's: no /dev/snd).
func noSoundServer(t *testing.T) {
	t.Helper()
	if m, _ := filepath.Glob("/dev/snd/pcmC*"); len(m) > 0 {
		t.Skip("this machine has a sound card: the no-server answers are checked where there is none (CI)")
	}
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(t.TempDir(), "no-such-server"))
}

// floatWAV writes a 32-bit float WAV (not a ringtone the SDK takes).
func floatWAV(t *testing.T) string {
	t.Helper()
	h := make([]byte, 44+320)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(len(h)-8))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 3) // IEEE float
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], 8000)
	binary.LittleEndian.PutUint32(h[28:], 32000)
	binary.LittleEndian.PutUint16(h[32:], 4)
	binary.LittleEndian.PutUint16(h[34:], 32)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], 320)
	p := filepath.Join(t.TempDir(), "float.wav")
	if err := os.WriteFile(p, h, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The media calls of sound devices and the pre-call test take only their
// own keys: a misspelt switch ("aek") must not pass for a read that leaves
// echo cancellation on, and a key's wrong type is named as such, not as
// "not a JSON object". Nothing changes on a refusal.
func TestAudioMediaUnknownKeys(t *testing.T) {
	h := begin(t)
	id := open(t, h, `{"ws_url":"ws://127.0.0.1:1/ws","language":"en-US","rtc_audio":"device"}`)
	for _, c := range []struct {
		name, params, msg string
	}{
		{"audio_processing", `{"aek":false}`, `audio_processing takes no key "aek" (its keys: uuid, aec, ns, agc, vad)`},
		{"audio_processing", `{"AEC":false,"ns":false}`, `audio_processing takes no key "AEC"`},
		{"audio_processing", `{"uuid":5}`, "audio_processing: json"},
		{"audio_processing", `[]`, "audio_processing: params are not a JSON object"},
		{"audio_select", `{"role":"speaker","device":"x"}`, `audio_select takes no key "device" (its keys: role, id)`},
		{"audio_ringtone", `{"ringtone":"off","path":"/r.wav"}`, `audio_ringtone takes no key "path" (its keys: ringtone)`},
		{"audio_devices", `{"kind":"input"}`, `audio_devices takes no key "kind" (it takes none)`},
		{"precall_test", `{"echo":"9196"}`, `precall_test takes no key "echo" (its keys: echo_number, seconds)`},
	} {
		r := Media(id, Str{S: c.name}, Str{S: c.params})
		msg, _ := decode(t, r.JSON)["msg"].(string)
		if r.Status != ccInvalidArgument || !strings.Contains(msg, c.msg) {
			t.Errorf("Media(%s, %s) = %d %s, want %d and %q", c.name, c.params, r.Status, r.JSON, ccInvalidArgument, c.msg)
		}
	}
	r := Media(id, Str{S: "audio_processing"}, Str{S: `null`})
	if r.Status != ccOK || string(r.JSON) != `{"aec":true,"agc":true,"code":"0","msg":"success","ns":true,"vad":true}` {
		t.Fatalf("audio_processing after the refusals: %d %s", r.Status, r.JSON)
	}
	if r := Media(id, Str{S: "audio_ringtone"}, Str{S: `{"ringtone":"off"}`}); r.Status != ccOK {
		t.Fatalf("audio_ringtone off: %d %s", r.Status, r.JSON)
	}
}
