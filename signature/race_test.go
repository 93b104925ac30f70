//go:build race

package signature_test

// raceEnabled reports a -race build: the race detector makes sync.Pool drop
// items at random, so allocation counts mean nothing then.
const raceEnabled = true
