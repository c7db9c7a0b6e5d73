//go:build !windows

package audio

// defaultCommID: outside Windows no backend has a communications role;
// the default device plays it.
func defaultCommID(capture bool) string { return "" }
