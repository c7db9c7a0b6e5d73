package dsp

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Processor is the voice processing of one call: the reference (what is
// played out) goes in through [Processor.Playback] on the playout thread,
// the agent's microphone through [Processor.Capture] on the capture thread,
// which returns it cleaned. See the package documentation for the threading
// rules.
type Processor struct {
	cfg    Config
	block  int // samples per 10 ms processing block
	fifo   *refFIFO
	want   atomic.Uint32 // Features asked for; applied by the capture side
	closed atomic.Bool

	mu          sync.Mutex // the capture side: everything below
	eng         *engine
	ref         refStream
	line        delayLine
	est         *delayEstimator
	applied     Features
	vad         vadState
	erle        erleMeter
	locked      bool
	tau         int  // echo delay after the FIFO, samples
	refined     bool // the filter itself placed the reference
	sinceRefine int
	cand        int
	candN       int
	realign     int64
	breaks      int64   // refStream.breaks already acted on
	nb          []int16 // near block (a copy: out may alias near)
	rb          []int16 // reference block, capture clock
	db          []int16 // reference block, delayed

	stateMu sync.Mutex
	state   State
}

// engine is the signal processing proper (docs/audio.md): the linear
// canceller, the spectral suppressor and the AGC, with their block buffers.
type engine struct {
	aec      *canceller
	sup      *suppressor
	agc      agc
	cfg      suppressCfg
	near     []float64 // the capture block
	ref      []float64 // the aligned reference block
	lin      []float64 // the canceller's output
	echo     []float64 // its echo estimate
	out      []float64 // the suppressor's output
	hist     []int16   // the reference's history, for a realignment
	histF    []float64
	speaking bool // the voice detector's decision, whether VAD is on or not (AGC uses it)
}

// Result is what Capture reports about the frame it processed.
type Result struct {
	// Speaking is the VAD's decision at the end of the frame (false while
	// the VAD is off). It is computed on the cleaned signal, so echo of the
	// customer does not count, and whatever the app's mute state is.
	Speaking bool
	// LevelDBFS is the frame's level before processing (RMS, dB relative
	// to full scale; -120 for digital silence).
	LevelDBFS float64
}

// State is the processor's readable state, for the app and for call
// quality warnings. Any goroutine may read it ([Processor.State]).
type State struct {
	// Features is what is switched on (as last asked for).
	Features Features
	// Speaking is the VAD's current decision (false while the VAD is off).
	Speaking bool
	// InputDBFS and OutputDBFS are the last frame's levels before and after
	// processing.
	InputDBFS, OutputDBFS float64
	// DelayKnown reports whether the alignment has found the echo's delay;
	// DelayMs is then the bulk delay from Playback to the echo in Capture.
	DelayKnown bool
	DelayMs    float64
	// Realignments counts the times the alignment moved the reference.
	Realignments int64
	// ERLEdB estimates how much echo the linear canceller removes (0 until
	// the customer has been heard for a while; lower during double talk).
	ERLEdB float64
	// DriftPPM is how much faster the playout clock runs than the capture
	// clock, as compensated.
	DriftPPM float64
	// RefUnderflows and RefOverflows count the times the reference FIFO ran
	// dry (playout stalled) or overflowed (capture stalled).
	RefUnderflows, RefOverflows int64
	// Frames counts the capture frames processed.
	Frames int64
}

const (
	alignMarginMs  = 10 // the filter starts this long before the echo's onset
	alignKeepMinMs = 2  // the onset may drift to this close to the filter's start
	alignKeepMaxMs = 20 // or this far into the filter before the reference moves
	alignTolMs     = 2  // two estimates this close confirm each other
	alignRefineMs  = 5  // the filter's idle start this long moves the reference
	// Once the filter has placed the reference, a correlation estimate
	// this far outside the keep window moves it.
	alignRefinedSlackMs = 30
	// The filter's idle start shows from this ERLE (dB) on: what comes
	// before the echo is the filter's noise, well below the echo's onset.
	refineLaterERLE = 8
	// Energy in its first taps is trusted only from this ERLE on.
	refineEarlierERLE = 15
	refineEvery       = 50 // blocks
	fifoSeconds       = 2  // reference FIFO capacity
)

// New makes a processor for one call. Close frees it.
func New(cfg Config) (*Processor, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	block := c.SampleRate * blockMs / 1000
	parts := (c.TailMs*c.SampleRate/1000 + block - 1) / block
	e := &engine{
		aec:   newCanceller(block, parts),
		sup:   newSuppressor(block, c.SampleRate),
		agc:   newAGC(float64(c.AGCLevelDBFS), float64(c.AGCMaxGainDB), blockMs),
		near:  make([]float64, block),
		ref:   make([]float64, block),
		lin:   make([]float64, block),
		echo:  make([]float64, block),
		out:   make([]float64, block),
		hist:  make([]int16, (parts+1)*block),
		histF: make([]float64, (parts+1)*block),
	}
	e.cfg = suppressCfg{
		noiseFloor:      dbToPower(c.NoiseSuppressDB),
		echoFloor:       dbToPower(c.EchoSuppressDB),
		echoFloorActive: dbToPower(c.EchoSuppressActiveDB),
	}
	p := &Processor{
		cfg:   c,
		block: block,
		fifo:  newRefFIFO(fifoSeconds * c.SampleRate),
		eng:   e,
		line:  newDelayLine(c.MaxDelayMs*c.SampleRate/1000, block, len(e.hist)),
		vad:   newVADState(blockMs),
		erle:  newERLEMeter(blockMs),
		nb:    make([]int16, block),
		rb:    make([]int16, block),
		db:    make([]int16, block),
	}
	p.ref = newRefStream(p.fifo, c.SampleRate, block)
	if !c.NoAlign {
		p.est = newDelayEstimator(c.SampleRate, c.MaxDelayMs)
	}
	p.apply(c.Features)
	p.want.Store(uint32(c.Features))
	p.state = State{Features: c.Features, InputDBFS: -120, OutputDBFS: -120}
	return p, nil
}

// SampleRate is the rate both directions run at.
func (p *Processor) SampleRate() int { return p.cfg.SampleRate }

// FrameSizes are the capture frame lengths Capture accepts: 10 and 20 ms.
func (p *Processor) FrameSizes() (ms10, ms20 int) { return p.block, 2 * p.block }

// Latency is the delay the processor adds to the captured voice: the
// suppressor's overlap-add holds back one 10 ms block, whatever is
// switched on (so switching does not move the audio). The playout
// direction is not delayed at all: Playback only copies the reference.
func (p *Processor) Latency() time.Duration { return blockMs * time.Millisecond }

// SetFeatures switches stages on and off; the capture side applies the
// change at its next frame. Any goroutine may call it.
func (p *Processor) SetFeatures(f Features) error {
	if f&^AllFeatures != 0 {
		return fmt.Errorf("%w: unknown Features bits %#x", ErrConfig, uint8(f&^AllFeatures))
	}
	p.want.Store(uint32(f))
	return nil
}

// Features is what was last asked for with SetFeatures (or Config).
func (p *Processor) Features() Features { return Features(p.want.Load()) }

// Playback hands the processor audio that is being played out (the
// reference), on the playout thread, in any length: device periods need not
// match capture frames. It only copies into a FIFO; it never blocks on the
// capture side's processing.
func (p *Processor) Playback(far []int16) error {
	if p.closed.Load() {
		return ErrClosed
	}
	if len(far) > 0 {
		p.fifo.push(far)
	}
	return nil
}

// Capture processes one frame of the agent's microphone (10 or 20 ms at the
// processor's rate) into out, which must be at least as long and may be
// near itself. It runs on the capture thread; the frame's reference is what
// Playback delivered, aligned and drift-compensated.
func (p *Processor) Capture(near, out []int16) (Result, error) {
	n := len(near)
	if n != p.block && n != 2*p.block {
		return Result{}, fmt.Errorf("%w: %d samples (want %d or %d: 10 or 20 ms at %d Hz)",
			ErrFrame, n, p.block, 2*p.block, p.cfg.SampleRate)
	}
	if len(out) < n {
		return Result{}, fmt.Errorf("%w: output holds %d samples, input %d", ErrFrame, len(out), n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.eng == nil {
		return Result{}, ErrClosed
	}
	if f := Features(p.want.Load()); f != p.applied {
		p.apply(f)
	}
	var res Result
	var inPow, outPow float64
	for b := 0; b < n; b += p.block {
		copy(p.nb, near[b:b+p.block])
		inPow += meanSquare(p.nb)
		o := out[b : b+p.block]
		res.Speaking = p.processBlock(p.nb, o)
		outPow += meanSquare(o)
	}
	blocks := float64(n / p.block)
	res.LevelDBFS = powerDBFS(inPow / blocks)
	p.publish(res, powerDBFS(outPow/blocks))
	return res, nil
}

// processBlock runs one 10 ms block through the pipeline.
func (p *Processor) processBlock(near, out []int16) bool {
	e := p.eng
	p.ref.pull(p.rb)
	if p.ref.breaks != p.breaks && p.est != nil {
		// The reference jumped: the adapted filter may now add echo rather
		// than remove it, so start it afresh; find the delay anew, taking
		// the first confident estimate without waiting for a confirmation.
		p.breaks = p.ref.breaks
		p.est.reset()
		p.locked = false
		e.aec.reset()
		e.sup.reset()
		p.erle.reset()
	}
	if p.est != nil {
		if tau, ok := p.est.push(p.rb, near); ok {
			p.onEstimate(tau)
		}
		if p.sinceRefine++; p.locked && p.sinceRefine >= refineEvery && p.applied.Has(EchoCancel) {
			p.sinceRefine = 0
			p.refine()
		}
	}
	p.line.process(p.rb, p.db)
	toFloat(near, e.near)
	toFloat(p.db, e.ref)
	var echo []float64
	if p.applied.Has(EchoCancel) {
		e.aec.process(e.near, e.ref, e.lin, e.echo)
		echo = e.echo
		p.erle.update(p.db, e.near, e.lin)
	} else {
		// Keep the reference history current, so that the kept filter
		// fits at once when the canceller comes back.
		e.aec.pushRef(e.ref)
		copy(e.lin, e.near)
	}
	level := powerDBFS(meanSquareF(e.lin))
	cfg := e.cfg
	cfg.noise = p.applied.Has(NoiseSuppress)
	cfg.echo = p.applied.Has(EchoCancel | EchoSuppress)
	e.sup.process(e.lin, echo, cfg, e.out)
	e.speaking = p.vad.update(int(math.Round(100*e.sup.prob)), level)
	if p.applied.Has(AGC) {
		e.agc.process(e.out, e.speaking)
	}
	for i, v := range e.out {
		out[i] = int16(math.Max(-32768, math.Min(32767, math.Round(v))))
	}
	return p.applied.Has(VAD) && e.speaking
}

// onEstimate takes a confident delay estimate. The first one aligns at
// once. Later ones move the reference only when the echo's onset has left
// the part of the filter it may sit in (from alignKeepMinMs after the
// filter's start to alignKeepMaxMs after it) and a second estimate agrees:
// the adapted filter moves with the reference, but a wrong move costs it
// the part of the echo it pushes out of the tail, so small wobbles of the
// estimate must not move it.
func (p *Processor) onEstimate(tau int) {
	ms := p.cfg.SampleRate / 1000
	tol := alignTolMs * ms
	lo, hi := alignKeepMinMs*ms, alignKeepMaxMs*ms
	if p.refined {
		// The filter placed the reference; the correlation only catches
		// a change of the bulk delay.
		lo, hi = -alignRefinedSlackMs*ms, (alignKeepMaxMs+alignRefinedSlackMs)*ms
	}
	in := tau-p.line.delay >= lo && tau-p.line.delay <= hi
	if p.line.delay == 0 && tau >= 0 && tau <= alignKeepMaxMs*ms {
		in = true // the filter starts at the reference itself: no earlier start exists
	}
	switch {
	case !p.locked:
		p.align(tau)
	case in:
		p.tau, p.candN = tau, 0
	case p.candN > 0 && abs(tau-p.cand) <= tol:
		p.align(tau)
	default:
		p.cand, p.candN = tau, 1
	}
}

// align delays the reference so that the filter starts alignMarginMs
// before the echo; the adapted filter moves with it.
func (p *Processor) align(tau int) {
	p.tau, p.locked, p.candN = tau, true, 0
	p.refined = false
	p.est.locked(true)
	p.moveTo(max(0, tau-alignMarginMs*p.cfg.SampleRate/1000))
}

// refine aligns on the adapted filter itself, once it has converged: the
// correlation's onset is a few ms off at best (and tens of ms early at
// worst, on a short history), while the filter shows where the echo
// starts to the sample. Idle taps at the filter's start waste its tail
// and slow its convergence; energy in its very first taps means the echo
// may start before it.
func (p *Processor) refine() {
	erle := p.erle.dB()
	if erle < refineLaterERLE {
		return
	}
	o, ok := p.eng.aec.onset()
	if !ok {
		return
	}
	ms := p.cfg.SampleRate / 1000
	margin := alignMarginMs * ms
	var d int
	switch {
	case o > margin+alignRefineMs*ms:
		d = p.line.delay + o - margin
	case o < margin/2 && p.line.delay > 0 && erle >= refineEarlierERLE:
		d = max(0, p.line.delay-margin)
	default:
		return
	}
	p.tau = p.line.delay + o
	p.refined = true
	p.moveTo(d)
}

// moveTo delays the reference by d samples, moving the adapted filter
// with it.
func (p *Processor) moveTo(d int) {
	if d != p.line.delay {
		// The filter moves with the reference: what it learnt of the
		// room is kept (only the part that leaves the tail is lost).
		s := d - p.line.delay
		p.line.setDelay(d)
		p.line.history(p.eng.hist)
		toFloat(p.eng.hist, p.eng.histF)
		p.eng.aec.shift(s, p.eng.histF)
		p.erle.reset()
		p.realign++
	}
}

// apply switches the stages in f. Nothing is allocated or reset, and the
// suppressor runs whatever is on, so its one-block delay never comes and
// goes.
func (p *Processor) apply(f Features) {
	if !f.Has(VAD) {
		p.vad.reset()
	}
	p.applied = f
}

func (p *Processor) publish(res Result, outDBFS float64) {
	delayMs := 0.0
	if p.locked {
		delayMs = float64(p.tau+int(math.Round(p.ref.avgAfter))) * 1000 / float64(p.cfg.SampleRate)
	}
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	s := &p.state
	s.Speaking = res.Speaking
	s.InputDBFS, s.OutputDBFS = res.LevelDBFS, outDBFS
	s.DelayKnown, s.DelayMs = p.locked, delayMs
	s.Realignments = p.realign
	s.ERLEdB = p.erle.dB()
	s.DriftPPM = p.ref.driftPPM()
	s.RefUnderflows = p.ref.underflows
	s.Frames++
}

// State returns the current state; any goroutine may call it.
func (p *Processor) State() State {
	p.stateMu.Lock()
	s := p.state
	p.stateMu.Unlock()
	s.Features = p.Features()
	s.RefOverflows = p.fifo.overflowCount()
	return s
}

// Close releases the processor's state. Playback and Capture then return
// ErrClosed. Close waits for a Capture in progress; calling it again does
// nothing.
func (p *Processor) Close() error {
	p.closed.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.eng = nil
	return nil
}

func toFloat(x []int16, y []float64) {
	for i, v := range x {
		y[i] = float64(v)
	}
}

func meanSquareF(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s / float64(max(1, len(x)))
}

// dbToPower converts a gain in dB to a power ratio.
func dbToPower(db int) float64 { return math.Pow(10, float64(db)/10) }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
