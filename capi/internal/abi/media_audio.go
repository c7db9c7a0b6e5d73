package abi

import (
	"fmt"
	"math"

	"github.com/cloudcc/agent-sdk/core/agent"
)

// The sound controls of cc_client_media (cloudcc.h, "Sound devices"):
// audio_devices, audio_select, audio_processing, audio_ringtone. They
// work in and out of RTC mode: a choice made before check-in holds for
// the phone's calls.

type audioParams struct {
	Role     *string `json:"role"`
	ID       string  `json:"id"`
	UUID     string  `json:"uuid"`
	AEC      *bool   `json:"aec"`
	NS       *bool   `json:"ns"`
	AGC      *bool   `json:"agc"`
	VAD      *bool   `json:"vad"`
	Ringtone *string `json:"ringtone"`
}

// audioKeys are the keys each sound control takes (cloudcc.h).
var audioKeys = map[string][]string{
	"audio_devices":    nil,
	"audio_select":     {"role", "id"},
	"audio_processing": {"uuid", "aec", "ns", "agc", "vad"},
	"audio_ringtone":   {"ringtone"},
}

// audioDevice is one element of audio_devices' "devices".
type audioDevice struct {
	ID                    string `json:"id"`
	Name                  string `json:"name"`
	Kind                  string `json:"kind"` // input or output
	Default               bool   `json:"default"`
	DefaultCommunications bool   `json:"default_communications"`
	Channels              int    `json:"channels"`
	Rate                  int    `json:"rate"`
}

// audioMedia runs one sound control, filling reply.
func (c *client) audioMedia(name string, params []byte, reply map[string]any) error {
	var p audioParams
	if err := decodeParams(name, params, &p, audioKeys[name]...); err != nil {
		return err
	}
	a := c.ag
	switch name {
	case "audio_devices":
		backend, devs, err := a.AudioDevices()
		if err != nil {
			return err
		}
		out := make([]audioDevice, 0, len(devs))
		for _, d := range devs {
			out = append(out, audioDevice{ID: d.ID, Name: d.Name, Kind: agent.AudioKindName(d.Kind), Default: d.IsDefault,
				DefaultCommunications: d.IsDefaultComm, Channels: d.Channels, Rate: d.Rate})
		}
		reply["backend"], reply["devices"] = string(backend), out
	case "audio_select":
		if p.Role == nil {
			return fmt.Errorf("%w: audio_select needs role (microphone, speaker or ringer)", errBadMediaParam)
		}
		role, err := agent.ParseAudioRole(*p.Role)
		if err != nil {
			return err
		}
		sel, err := a.SelectAudioDevice(role, p.ID)
		if err != nil {
			return err
		}
		reply["microphone"], reply["speaker"], reply["ringer"] = sel.Microphone, sel.Speaker, sel.Ringer
	case "audio_processing":
		st, err := a.SetAudioProcessing(p.UUID, agent.AudioSwitchChange{AEC: p.AEC, NS: p.NS, AGC: p.AGC, VAD: p.VAD})
		if err != nil {
			return err
		}
		reply["aec"], reply["ns"], reply["agc"], reply["vad"] = st.AEC, st.NS, st.AGC, st.VAD
		if p.UUID != "" {
			reply["uuid"], reply["active"] = p.UUID, st.Active
		}
		if st.Active {
			reply["erle_db"], reply["level_dbfs"], reply["drift_ppm"] = finite(st.ERLEdB), finite(st.LevelDBFS), finite(st.DriftPPM)
			reply["speaking"] = st.Speaking
			if st.DelayKnown {
				reply["delay_ms"] = finite(st.DelayMs)
			}
			if st.MicRateHz > 0 || st.SpeakerRateHz > 0 {
				reply["mic_rate_hz"], reply["speaker_rate_hz"] = finite(st.MicRateHz), finite(st.SpeakerRateHz)
			}
		}
	case "audio_ringtone":
		if p.Ringtone == nil {
			return fmt.Errorf(`%w: audio_ringtone needs ringtone ("builtin", "off" or "wav:PATH")`, errBadMediaParam)
		}
		return a.SetRingtone(*p.Ringtone)
	}
	return nil
}

// finite keeps a figure JSON can carry (a NaN or an infinity is 0).
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*100) / 100
}
