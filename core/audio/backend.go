package audio

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode/utf16"
	"unsafe"

	"github.com/cloudcc/agent-sdk/core/internal/contain"
	"github.com/gen2brain/malgo"
)

// Backend names a sound backend.
type Backend string

// The backends the package knows by name.
const (
	BackendPulseAudio Backend = "pulseaudio"
	BackendALSA       Backend = "alsa"
	BackendWASAPI     Backend = "wasapi"
	BackendCoreAudio  Backend = "coreaudio"
)

var malgoBackends = map[Backend]malgo.Backend{
	BackendPulseAudio: malgo.BackendPulseaudio,
	BackendALSA:       malgo.BackendAlsa,
	BackendWASAPI:     malgo.BackendWasapi,
	BackendCoreAudio:  malgo.BackendCoreaudio,
}

// defaultBackends is the platform's order of preference. miniaudio's own
// list ends with a null backend that fakes devices; it is never used, so
// that a machine without sound gets ErrNoAudioBackend, not silent devices.
func defaultBackends() []Backend {
	switch runtime.GOOS {
	case "windows":
		return []Backend{BackendWASAPI}
	case "darwin":
		return []Backend{BackendCoreAudio}
	default:
		return []Backend{BackendPulseAudio, BackendALSA}
	}
}

// alsaDevDir is where ALSA's PCM device nodes live; a variable for tests.
var alsaDevDir = "/dev/snd"

// hasALSACard: ALSA without a card only offers plugins (null, jack, oss,
// pulse) that fail to open and print to stderr when probed; it is skipped.
func hasALSACard() bool {
	m, _ := filepath.Glob(filepath.Join(alsaDevDir, "pcmC*"))
	return len(m) > 0
}

type malgoDriver struct {
	name    Backend
	ctx     *malgo.AllocatedContext
	appName []byte
	// ids maps a device's string id to the backend's id, from the last
	// enumeration.
	ids map[Kind]map[string]malgo.DeviceID
}

// newMalgoDriver opens the first backend of the list that works.
func newMalgoDriver(cfg Config) (driver, error) {
	backends := cfg.Backends
	if len(backends) == 0 {
		backends = defaultBackends()
	}
	var reasons []string
	for _, b := range backends {
		d, err := openMalgo(b, cfg.AppName, cfg.Logger)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("%s: %v", b, err))
			continue
		}
		return d, nil
	}
	return nil, fmt.Errorf("%w (%s)", ErrNoAudioBackend, strings.Join(reasons, "; "))
}

func openMalgo(b Backend, appName string, log *slog.Logger) (*malgoDriver, error) {
	mb, ok := malgoBackends[b]
	if !ok {
		return nil, errors.New("not supported")
	}
	if b == BackendALSA && !hasALSACard() {
		return nil, fmt.Errorf("no sound card (no PCM device in %s)", alsaDevDir)
	}
	var logMu sync.Mutex
	var fails []string
	logf := func(msg string) {
		defer contain.Recover(log, "audio: sound library log", nil) // called from C
		m := strings.TrimSpace(msg)
		if l := strings.ToLower(m); strings.Contains(l, "fail") || strings.Contains(l, "error") {
			logMu.Lock()
			fails = append(fails, m)
			logMu.Unlock()
		}
	}
	// reason is the backend's own word on what failed: its first tagged
	// message ("[PulseAudio] Failed to connect PulseAudio context."), not
	// the library names it tried before the one that loaded.
	reason := func() string {
		logMu.Lock()
		defer logMu.Unlock()
		for _, m := range fails {
			if strings.HasPrefix(m, "[") {
				return m
			}
		}
		if len(fails) > 0 {
			return fails[len(fails)-1]
		}
		return ""
	}
	d := &malgoDriver{name: b, ids: map[Kind]map[string]malgo.DeviceID{}}
	var pin runtime.Pinner
	defer pin.Unpin()
	var cc malgo.ContextConfig
	if appName != "" {
		// miniaudio copies the name during init; pinned so that cgo may
		// see it inside the config.
		d.appName = append([]byte(appName), 0)
		pin.Pin(&d.appName[0])
		cc.Pulse.PApplicationName = &d.appName[0]
	}
	ctx, err := malgo.InitContext([]malgo.Backend{mb}, cc, logf)
	if err != nil {
		if r := reason(); r != "" {
			return nil, fmt.Errorf("%s (%v)", r, err)
		}
		return nil, err
	}
	if os.Getenv("CC_AUDIO_DEBUG") == "" {
		ctx.SetLogProc(nil) // the per-device chatter is not ours to print
	} else {
		ctx.SetLogProc(func(m string) { fmt.Fprint(os.Stderr, "miniaudio: ", m) })
	}
	d.ctx = ctx
	if b == BackendALSA {
		p, _ := d.list(KindPlayback)
		c, _ := d.list(KindCapture)
		if len(p)+len(c) == 0 {
			d.close()
			return nil, errors.New("no usable device")
		}
	}
	return d, nil
}

func (d *malgoDriver) backend() string { return string(d.name) }

func malgoKind(k Kind) malgo.DeviceType {
	if k == KindCapture {
		return malgo.Capture
	}
	return malgo.Playback
}

// idString turns the backend's id into the package's string id: the
// name for the string-id backends, the endpoint id for WASAPI (UTF-16).
func (d *malgoDriver) idString(id malgo.DeviceID) string {
	switch d.name {
	case BackendWASAPI:
		u := make([]uint16, 0, len(id)/2)
		for i := 0; i+1 < len(id); i += 2 {
			c := uint16(id[i]) | uint16(id[i+1])<<8
			if c == 0 {
				break
			}
			u = append(u, c)
		}
		return string(utf16.Decode(u))
	case BackendPulseAudio, BackendALSA, BackendCoreAudio:
		n := 0
		for n < len(id) && id[n] != 0 {
			n++
		}
		return string(id[:n])
	}
	return hex.EncodeToString(id[:])
}

func (d *malgoDriver) list(k Kind) ([]rawDevice, error) {
	infos, err := d.ctx.Devices(malgoKind(k))
	if err != nil {
		return nil, err
	}
	ids := map[string]malgo.DeviceID{}
	out := make([]rawDevice, 0, len(infos))
	for i := range infos {
		id := d.idString(infos[i].ID)
		if id == "" || (d.name == BackendALSA && id == "null") {
			continue // ALSA's "null" discards everything: no device
		}
		if _, dup := ids[id]; dup {
			continue
		}
		ids[id] = infos[i].ID
		out = append(out, rawDevice{id: id, name: infos[i].Name(), isDefault: infos[i].IsDefault != 0})
	}
	d.ids[k] = ids
	return out, nil
}

func (d *malgoDriver) rawID(k Kind, id string) (malgo.DeviceID, bool) {
	raw, ok := d.ids[k][id]
	if !ok {
		if _, err := d.list(k); err == nil {
			raw, ok = d.ids[k][id]
		}
	}
	return raw, ok
}

func (d *malgoDriver) info(k Kind, id string) (int, int, error) {
	if d.name == BackendPulseAudio {
		// miniaudio 0.11.23 (malgo 0.11.24, the latest) dereferences the
		// NULL sink/source info PulseAudio hands its callback when the
		// device is gone: asking about a sink unloaded a moment ago
		// crashed the process (SIGSEGV in cgo, seen as a sink was unloaded
		// mid-call). Only a device a list taken just now still has is
		// asked about; the list and the query are one round trip apart.
		if _, err := d.list(k); err != nil {
			return 0, 0, err
		}
		if _, ok := d.ids[k][id]; !ok {
			return 0, 0, fmt.Errorf("%w: %s %q", ErrUnknownDevice, k, id)
		}
	}
	raw, ok := d.rawID(k, id)
	if !ok {
		return 0, 0, fmt.Errorf("%w: %s %q", ErrUnknownDevice, k, id)
	}
	inf, err := d.ctx.DeviceInfo(malgoKind(k), raw, malgo.Shared)
	if err != nil {
		return 0, 0, err
	}
	ch, rate := 0, 0
	for _, f := range inf.Formats {
		// The widest format the device offers is its native one.
		if int(f.Channels) > ch {
			ch = int(f.Channels)
		}
		if int(f.SampleRate) > rate {
			rate = int(f.SampleRate)
		}
	}
	return ch, rate, nil
}

func (d *malgoDriver) defaultComm(k Kind) string {
	if d.name != BackendWASAPI {
		return ""
	}
	return defaultCommID(k == KindCapture)
}

// Device buffers. miniaudio's PulseAudio backend asks for a target
// length (tlength) of ONE period and a capture fragment of one period,
// whatever Periods says; Periods only sets maxlength. With 10 ms periods
// the server kept 7.5 ms of the speaker's audio: any delay of the device
// thread longer than that (a busy machine, a GC pause) was an underrun,
// the server played silence (a phase jump) and took fewer samples than
// the call wrote (EffectiveRate 7800-7950 Hz), so the speaker's ring
// overran and dropped audio later (another jump). See docs/audio.md.
const (
	// pulsePlaybackMs is the speaker's period on PulseAudio: miniaudio's
	// own low-latency default for it (it cites glitches under 20 ms).
	pulsePlaybackMs = 25
	// pulseCapturePeriods: the microphone keeps 10 ms fragments (its
	// latency) but may hold 80 ms before the server drops any.
	pulseCapturePeriods = 8
)

// buffer is the period (ms) and the period count a device opens with.
func (d *malgoDriver) buffer(k Kind) (periodMs, periods uint32) {
	if d.name != BackendPulseAudio {
		return 10, 3
	}
	if k == KindPlayback {
		return pulsePlaybackMs, 3
	}
	return 10, pulseCapturePeriods
}

type malgoDevice struct{ dev *malgo.Device }

func (m *malgoDevice) start() error {
	if err := m.dev.Start(); err != nil {
		return err
	}
	return nil
}

// close stops the device before releasing it: miniaudio's uninit alone
// waits for the device thread, which a PulseAudio stream whose sink was
// unloaded never wakes (no more stream events); stop wakes it.
func (m *malgoDevice) close() {
	_ = m.dev.Stop()
	m.dev.Uninit()
}

func (d *malgoDriver) open(k Kind, id string, rate, channels int, cb deviceCallbacks) (hwDevice, error) {
	raw, ok := d.rawID(k, id)
	if !ok {
		return nil, fmt.Errorf("%w: %s %q", ErrUnknownDevice, k, id)
	}
	cfg := malgo.DefaultDeviceConfig(malgoKind(k))
	cfg.SampleRate = uint32(rate)
	cfg.PeriodSizeInMilliseconds, cfg.Periods = d.buffer(k)
	cfg.PerformanceProfile = malgo.LowLatency
	// The id is pinned: cgo sees it through a pointer in the config.
	idCopy := new(malgo.DeviceID)
	*idCopy = raw
	var pin runtime.Pinner
	pin.Pin(idCopy)
	defer pin.Unpin()
	sub := malgo.SubConfig{DeviceID: unsafe.Pointer(idCopy), Format: malgo.FormatS16, Channels: uint32(channels)}
	if k == KindCapture {
		cfg.Capture = sub
		cfg.Pulse.StreamNameCapture = "CloudCC microphone"
	} else {
		cfg.Playback = sub
		cfg.Pulse.StreamNamePlayback = "CloudCC"
	}
	data := func(out, in []byte, _ uint32) {
		cb.data(int16s(out), int16s(in))
	}
	dev, err := malgo.InitDevice(d.ctx.Context, cfg, malgo.DeviceCallbacks{Data: data, Stop: cb.stopped})
	if err != nil {
		return nil, err
	}
	return &malgoDevice{dev: dev}, nil
}

// int16s views a device buffer (S16, native endian, aligned by miniaudio)
// as samples.
func int16s(b []byte) []int16 {
	if len(b) < 2 {
		return nil
	}
	return unsafe.Slice((*int16)(unsafe.Pointer(&b[0])), len(b)/2)
}

func (d *malgoDriver) close() {
	if d.ctx != nil {
		_ = d.ctx.Uninit()
		d.ctx.Free()
		d.ctx = nil
	}
}
