package dsp

import "math"

// cfft is a mixed-radix (2, 3, 4, 5) complex FFT of a fixed size, in
// Stockham's self-sorting form: the engine's blocks are 10 ms (80 or 160
// samples), so its transforms are 2^k*5 long, not powers of two.
type cfft struct {
	n       int
	radices []int
	tw      []complex128 // exp(-2*pi*i*k/n), k < n
	work    []complex128
}

func newCFFT(n int) *cfft {
	f := &cfft{n: n, tw: make([]complex128, n), work: make([]complex128, n)}
	for m := n; m > 1; {
		switch {
		case m%4 == 0:
			f.radices = append(f.radices, 4)
			m /= 4
		case m%2 == 0:
			f.radices = append(f.radices, 2)
			m /= 2
		case m%3 == 0:
			f.radices = append(f.radices, 3)
			m /= 3
		case m%5 == 0:
			f.radices = append(f.radices, 5)
			m /= 5
		default:
			panic("dsp: fft size must have no prime factor above 5")
		}
	}
	for k := range f.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		f.tw[k] = complex(c, s)
	}
	return f
}

// forward transforms x in place (no scaling).
func (f *cfft) forward(x []complex128) {
	n := f.n
	a, b := x, f.work
	ns := 1 // length of the sub-transforms done so far
	for _, r := range f.radices {
		m := n / r
		step := n / (ns * r) // twiddle stride
		var v [5]complex128
		for j := 0; j < m; j++ {
			k := j % ns
			for q := 0; q < r; q++ {
				v[q] = a[j+q*m]
				if k != 0 && q != 0 {
					v[q] *= f.tw[q*k*step]
				}
			}
			butterfly(v[:r])
			out := (j/ns)*ns*r + k
			for q := 0; q < r; q++ {
				b[out+q*ns] = v[q]
			}
		}
		a, b = b, a
		ns *= r
	}
	if &a[0] != &x[0] {
		copy(x, a)
	}
}

// butterfly is the DFT of 2 to 5 points in place.
func butterfly(v []complex128) {
	switch len(v) {
	case 2:
		v[0], v[1] = v[0]+v[1], v[0]-v[1]
	case 3:
		const s3 = 0.86602540378443864676 // sin(2*pi/3)
		t := v[1] + v[2]
		d := v[1] - v[2]
		m := v[0] - t*0.5
		r := complex(imag(d)*s3, -real(d)*s3) // -i*s3*d
		v[0], v[1], v[2] = v[0]+t, m+r, m-r
	case 4:
		t0, t1 := v[0]+v[2], v[0]-v[2]
		t2, t3 := v[1]+v[3], v[1]-v[3]
		t3 = complex(imag(t3), -real(t3)) // -i*t3
		v[0], v[1], v[2], v[3] = t0+t2, t1+t3, t0-t2, t1-t3
	case 5:
		const (
			c1 = 0.30901699437494742410 // cos(2*pi/5)
			c2 = -0.80901699437494742410
			s1 = 0.95105651629515357212 // sin(2*pi/5)
			s2 = 0.58778525229247312917
		)
		a1, a2 := v[1]+v[4], v[2]+v[3]
		b1, b2 := v[1]-v[4], v[2]-v[3]
		m1 := v[0] + a1*c1 + a2*c2
		m2 := v[0] + a1*c2 + a2*c1
		// -i*(s1*b1 + s2*b2) and -i*(s2*b1 - s1*b2)
		n1 := b1*s1 + b2*s2
		n2 := b1*s2 - b2*s1
		n1 = complex(imag(n1), -real(n1))
		n2 = complex(imag(n2), -real(n2))
		v[0] = v[0] + a1 + a2
		v[1], v[4] = m1+n1, m1-n1
		v[2], v[3] = m2+n2, m2-n2
	}
}

// rfft transforms n real samples (n even, n/2 with prime factors 2, 3, 5)
// into the n/2+1 bins of the non-negative frequencies, and back, through a
// complex FFT of half the size.
type rfft struct {
	n   int
	c   *cfft
	z   []complex128
	rot []complex128 // exp(-2*pi*i*k/n), k <= n/2
}

func newRFFT(n int) *rfft {
	if n < 4 || n%2 != 0 {
		panic("dsp: real fft size must be even")
	}
	r := &rfft{n: n, c: newCFFT(n / 2), z: make([]complex128, n/2), rot: make([]complex128, n/2+1)}
	for k := range r.rot {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		r.rot[k] = complex(c, s)
	}
	return r
}

// forward writes the DFT of x (len n) into X (len n/2+1), unscaled.
func (r *rfft) forward(x []float64, X []complex128) {
	m := r.n / 2
	z := r.z
	for j := range z {
		z[j] = complex(x[2*j], x[2*j+1])
	}
	r.c.forward(z)
	X[0] = complex(real(z[0])+imag(z[0]), 0)
	X[m] = complex(real(z[0])-imag(z[0]), 0)
	for k := 1; k < m; k++ {
		a, b := z[k], z[m-k]
		bc := complex(real(b), -imag(b))
		ev := (a + bc) * 0.5
		od := (a - bc) * 0.5
		od = complex(imag(od), -real(od)) * r.rot[k] // -i*od*w
		X[k] = ev + od
	}
}

// inverse writes the real signal whose DFT is X into x, scaled so that
// inverse(forward(x)) == x.
func (r *rfft) inverse(X []complex128, x []float64) {
	m := r.n / 2
	z := r.z
	for k := 0; k < m; k++ {
		a, b := X[k], X[m-k]
		bc := complex(real(b), -imag(b))
		ev := a + bc
		od := (a - bc) * complex(real(r.rot[k]), -imag(r.rot[k])) // times exp(+2*pi*i*k/n)
		// z = ev + i*od, conjugated for the inverse via the forward FFT
		zk := ev + complex(-imag(od), real(od))
		z[k] = complex(real(zk), -imag(zk))
	}
	r.c.forward(z)
	s := 0.5 / float64(m)
	for j := range z {
		x[2*j] = real(z[j]) * s
		x[2*j+1] = -imag(z[j]) * s
	}
}
