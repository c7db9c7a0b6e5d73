package dsp

// The C boundary: thin wrappers over speexdsp's echo canceller (MDF) and
// preprocessor (noise suppression, residual echo suppression, AGC, speech
// probability). Nothing else in the package calls C.
//
// speexdsp is linked statically: ./build.sh points CGO_CFLAGS/CGO_LDFLAGS at
// a libspeexdsp.a it builds from Debian's source package; a plain go build
// links the system's libspeexdsp (Debian: libspeexdsp-dev). See docs/audio.md.

/*
#cgo LDFLAGS: -lspeexdsp -lm
#include <stdlib.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

static int cc_pp_set_int(SpeexPreprocessState *st, int req, int v) { spx_int32_t x = v; return speex_preprocess_ctl(st, req, &x); }
static int cc_pp_get_int(SpeexPreprocessState *st, int req) { spx_int32_t x = 0; speex_preprocess_ctl(st, req, &x); return x; }
static int cc_pp_set_float(SpeexPreprocessState *st, int req, float v) { return speex_preprocess_ctl(st, req, &v); }
static int cc_pp_set_echo(SpeexPreprocessState *st, SpeexEchoState *echo) { return speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_ECHO_STATE, echo); }
static int cc_echo_set_rate(SpeexEchoState *st, int rate) { spx_int32_t x = rate; return speex_echo_ctl(st, SPEEX_ECHO_SET_SAMPLING_RATE, &x); }
*/
import "C"

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// liveStates counts the speexdsp states allocated and not yet destroyed
// (echo canceller, preprocessor): the leak test checks it returns to zero.
var liveStates atomic.Int64

// echoCanceller is speexdsp's MDF adaptive filter on frames of n samples.
type echoCanceller struct {
	st *C.SpeexEchoState
	n  int
}

func newEchoCanceller(frame, tail, rate int) (*echoCanceller, error) {
	st := C.speex_echo_state_init(C.int(frame), C.int(tail))
	if st == nil {
		return nil, fmt.Errorf("dsp: speex_echo_state_init(%d, %d) failed", frame, tail)
	}
	liveStates.Add(1)
	C.cc_echo_set_rate(st, C.int(rate))
	return &echoCanceller{st: st, n: frame}, nil
}

// cancel writes near minus the echo of ref into out (each n samples).
func (e *echoCanceller) cancel(near, ref, out []int16) {
	C.speex_echo_cancellation(e.st, (*C.spx_int16_t)(unsafe.Pointer(&near[0])),
		(*C.spx_int16_t)(unsafe.Pointer(&ref[0])), (*C.spx_int16_t)(unsafe.Pointer(&out[0])))
}

// reset forgets the adapted filter (after the reference was re-aligned).
func (e *echoCanceller) reset() { C.speex_echo_state_reset(e.st) }

func (e *echoCanceller) destroy() {
	if e != nil && e.st != nil {
		C.speex_echo_state_destroy(e.st)
		e.st = nil
		liveStates.Add(-1)
	}
}

// preprocessor is speexdsp's spectral preprocessor on frames of n samples.
// It delays its output by one frame (weighted overlap-add).
type preprocessor struct {
	st *C.SpeexPreprocessState
}

func newPreprocessor(frame, rate int) (*preprocessor, error) {
	st := C.speex_preprocess_state_init(C.int(frame), C.int(rate))
	if st == nil {
		return nil, fmt.Errorf("dsp: speex_preprocess_state_init(%d, %d) failed", frame, rate)
	}
	liveStates.Add(1)
	return &preprocessor{st: st}, nil
}

// run processes x in place. (speexdsp's own VAD switch is left off: it
// only prints a warning; the processor decides from speechProb.)
func (p *preprocessor) run(x []int16) {
	C.speex_preprocess_run(p.st, (*C.spx_int16_t)(unsafe.Pointer(&x[0])))
}

func (p *preprocessor) setDenoise(on bool) {
	C.cc_pp_set_int(p.st, C.SPEEX_PREPROCESS_SET_DENOISE, cbool(on))
}
func (p *preprocessor) setAGC(on bool) { C.cc_pp_set_int(p.st, C.SPEEX_PREPROCESS_SET_AGC, cbool(on)) }
func (p *preprocessor) setNoiseSuppress(db int) {
	C.cc_pp_set_int(p.st, C.SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, C.int(db))
}
func (p *preprocessor) setEchoSuppress(db int) {
	C.cc_pp_set_int(p.st, C.SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, C.int(db))
}
func (p *preprocessor) setEchoSuppressActive(db int) {
	C.cc_pp_set_int(p.st, C.SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, C.int(db))
}
func (p *preprocessor) setAGCLevel(level float32) {
	C.cc_pp_set_float(p.st, C.SPEEX_PREPROCESS_SET_AGC_LEVEL, C.float(level))
}
func (p *preprocessor) setAGCMaxGain(db int) {
	C.cc_pp_set_int(p.st, C.SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, C.int(db))
}

// speechProb is the last frame's speech probability in percent.
func (p *preprocessor) speechProb() int {
	return int(C.cc_pp_get_int(p.st, C.SPEEX_PREPROCESS_GET_PROB))
}

// setEcho attaches the echo canceller whose residual echo the preprocessor
// suppresses, or detaches it (nil).
func (p *preprocessor) setEcho(e *echoCanceller) {
	if e == nil {
		C.cc_pp_set_echo(p.st, nil)
		return
	}
	C.cc_pp_set_echo(p.st, e.st)
}

func (p *preprocessor) destroy() {
	if p != nil && p.st != nil {
		C.speex_preprocess_state_destroy(p.st)
		p.st = nil
		liveStates.Add(-1)
	}
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
