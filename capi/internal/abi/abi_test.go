package abi

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives its tests, or a
// handle its test (see begin).
func TestMain(m *testing.M) {
	code := m.Run()
	if n := handles(); n != 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "%d handles left in the table\n", n)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
