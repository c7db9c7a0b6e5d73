// Package audio is the sound-device layer of the SDK's desktop phone: it
// lists the machine's microphones and speakers, opens a per-call duplex
// endpoint on the chosen ones (a frame source and sink with the shapes of
// media.AudioSource and media.AudioSink), follows device changes (hot-plug,
// a new default, a device that fails), falls back to the default device
// when the one in use disappears, and plays the ringtone.
//
// The backend is miniaudio (github.com/gen2brain/malgo): PulseAudio, then
// ALSA, on Linux; WASAPI on Windows. Its libraries are loaded at run time,
// and nothing is touched until a System is first asked for devices, so a
// program that never uses sound (host mode) runs on a machine with no sound
// server at all; there, device calls fail with ErrNoAudioBackend, but a
// call's endpoint and a ringtone open silent and take their devices once a
// server answers.
//
// docs/audio.md ("Sound devices") describes ids, roles, events, fallback,
// the ringtone and the measured switch gap.
package audio
