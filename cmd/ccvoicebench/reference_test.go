package main

import (
	"os/exec"
	"strings"
	"testing"
)

// A reference that copies its input gives it back sample for sample:
// writeWAV and readWAV agree, and run hands over the right files.
func TestReferenceRunsCommandOnWAV(t *testing.T) {
	if _, err := exec.LookPath("cp"); err != nil {
		t.Skip("no cp")
	}
	x := []int16{0, 1, -1, 32767, -32768, 1234, -4321}
	y, err := reference{name: "copy", argv: []string{"cp"}}.run(x, 8000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if y[i] != float64(x[i]) {
			t.Fatalf("sample %d: %v, want %d", i, y[i], x[i])
		}
	}
}

// A command that fails, or writes nothing, is an error naming the reference.
func TestReferenceFailureIsAnError(t *testing.T) {
	for _, argv := range [][]string{{"false"}, {"true"}} {
		if _, err := exec.LookPath(argv[0]); err != nil {
			t.Skip("no", argv[0])
		}
		_, err := reference{name: "broken", argv: argv}.run([]int16{1, 2, 3}, 8000)
		if err == nil || !strings.Contains(err.Error(), "reference broken") {
			t.Fatalf("%v: err %v", argv, err)
		}
	}
}

func TestParseReference(t *testing.T) {
	r, err := parseReference("rnnoise=python3 x.py")
	if err != nil || r.name != "rnnoise" || strings.Join(r.argv, " ") != "python3 x.py" {
		t.Fatalf("got %+v, %v", r, err)
	}
	for _, bad := range []string{"rnnoise", "=python3", "rnnoise= "} {
		if _, err := parseReference(bad); err == nil {
			t.Fatalf("%q: no error", bad)
		}
	}
	if r, err := parseReference(""); r != nil || err != nil {
		t.Fatalf("empty: %+v, %v", r, err)
	}
}
