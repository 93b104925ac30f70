package receive

import (
	"net/http"
	"sync/atomic"

	"github.com/hookd/hookd"
)

// DefaultDecompressBudget is the default size of a Server's Budget.
const DefaultDecompressBudget = 128 << 20

// decodeChunk is the first buffer a decoder writes into; buffers double
// from there, each growth reserved from the budget before it is made.
const decodeChunk = 32 << 10

// decoderOverhead is what a gzip or deflate decoder holds besides its
// output: its window and tables.
const decoderOverhead = 64 << 10

// Budget bounds the memory that decompression takes across every request
// that shares it: each request reserves its decoded bytes (and its
// decoder's window) chunk by chunk, and a request that cannot reserve its
// next chunk is answered 503 with Retry-After. Without it, small bombs
// sent at once would each expand up to their source's max_decompressed.
// A Budget is safe for concurrent use; a nil *Budget bounds nothing.
type Budget struct {
	size int64
	used atomic.Int64
}

// NewBudget returns a budget of n bytes (DefaultDecompressBudget when n
// is not positive).
func NewBudget(n int64) *Budget {
	if n <= 0 {
		n = DefaultDecompressBudget
	}
	return &Budget{size: n}
}

// Size returns the budget's size in bytes.
func (b *Budget) Size() int64 { return b.size }

// InUse returns the bytes reserved now.
func (b *Budget) InUse() int64 { return b.used.Load() }

func (b *Budget) reserve(n int64) bool {
	for {
		cur := b.used.Load()
		if cur+n > b.size {
			return false
		}
		if b.used.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// reservation is one request's share of a Budget. Its methods are not
// safe for concurrent use; a nil or empty reservation grants everything.
type reservation struct {
	b *Budget
	n int64
}

// take reserves n more bytes; false when the budget has no room.
func (r *reservation) take(n int64) bool {
	if r == nil || r.b == nil {
		return true
	}
	if !r.b.reserve(n) {
		return false
	}
	r.n += n
	return true
}

// give returns n bytes taken earlier.
func (r *reservation) give(n int64) {
	if r == nil || r.b == nil {
		return
	}
	r.n -= n
	r.b.used.Add(-n)
}

// done returns everything the request still holds.
func (r *reservation) done() {
	if r == nil || r.b == nil || r.n == 0 {
		return
	}
	r.b.used.Add(-r.n)
	r.n = 0
}

// overBudget is the answer to a request whose body could not be
// decompressed within the shared budget: the server is busy, not the
// request wrong, so the provider should retry.
func overBudget() *rejection {
	rej := reject(http.StatusServiceUnavailable, hookd.EUNAVAILABLE,
		"too many compressed requests are being decoded at once; retry later")
	rej.header = http.Header{"Retry-After": {"1"}}
	return rej
}
