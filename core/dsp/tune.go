package dsp

import (
	"os"
	"strconv"
)

func envOr(name string, d float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return d
}

var debugAlign = os.Getenv("DEBUG_ALIGN") != ""
