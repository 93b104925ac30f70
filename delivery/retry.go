package delivery

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultSchedule returns the delay before each retry after the first
// attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. Each call returns a
// new slice, which the caller may change.
func DefaultSchedule() []time.Duration {
	return []time.Duration{
		5 * time.Second, 5 * time.Minute, 30 * time.Minute,
		2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
	}
}

// MaxRetryAfter clamps a receiver's Retry-After.
const MaxRetryAfter = 24 * time.Hour

// outcome is what one attempt means for its delivery.
type outcome int

const (
	outcomeSucceeded outcome = iota
	outcomeRetry             // failed; a retry is scheduled
	outcomeDead              // failed; the schedule is exhausted
	outcomeGone              // 410: the endpoint asked to be removed
)

// retryPolicy turns an attempt's result into the delivery's next state.
type retryPolicy struct {
	schedule []time.Duration
	jitter   float64 // ±fraction, 0.2 by default
	randFunc func() float64
}

// next returns the delay before the retry that follows attempt number n (1
// for the first attempt) and whether there is one. retryAfter, when
// positive, is the receiver's Retry-After: the retry is not sooner.
func (p *retryPolicy) next(schedule []time.Duration, n int, retryAfter time.Duration) (time.Duration, bool) {
	if len(schedule) == 0 {
		schedule = p.schedule
	}
	if n < 1 || n > len(schedule) {
		return 0, false
	}
	d := schedule[n-1]
	if p.jitter > 0 && d > 0 {
		r := p.randFunc()*2 - 1 // [-1, 1)
		d += time.Duration(float64(d) * p.jitter * r)
	}
	if retryAfter > d {
		d = min(retryAfter, MaxRetryAfter)
	}
	return d, true
}

// classify maps a response status, or a transport failure (status 0), to
// an outcome before the schedule is consulted.
func classify(status int) outcome {
	switch {
	case status >= 200 && status < 300:
		return outcomeSucceeded
	case status == http.StatusGone:
		return outcomeGone
	}
	return outcomeRetry
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date) on
// 429 and 503 answers; it returns 0 when absent, unparsable or irrelevant.
func parseRetryAfter(status int, v string, now time.Time) time.Duration {
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return 0
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return min(time.Duration(min(secs, int64(MaxRetryAfter/time.Second)))*time.Second, MaxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), MaxRetryAfter)
	}
	return 0
}

func defaultRand() float64 { return rand.Float64() }
