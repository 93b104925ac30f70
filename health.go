package hookd

import "context"

// WriteChecker is implemented by stores that can show whether they accept
// writes right now. GET /readyz uses it: a store that cannot write (a full
// disk, an I/O error) must not receive traffic, though it still answers
// reads.
type WriteChecker interface {
	// CheckWrite makes a small real write and undoes it. It returns an
	// EUNAVAILABLE *Error when the store cannot write for lack of space or
	// an I/O error, and another error when the write failed otherwise. It
	// changes nothing a caller can see.
	CheckWrite(ctx context.Context) error
}
