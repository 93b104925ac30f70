package delivery

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryPolicyNext(t *testing.T) {
	t.Parallel()
	mid := func() float64 { return 0.5 } // no jitter: r = 0
	low := func() float64 { return 0 }   // -20 %
	p := &retryPolicy{schedule: DefaultSchedule(), jitter: 0.2, randFunc: mid}
	tests := []struct {
		name       string
		rand       func() float64
		schedule   []time.Duration
		n          int
		retryAfter time.Duration
		want       time.Duration
		ok         bool
	}{
		{"first retry after 5s", mid, nil, 1, 0, 5 * time.Second, true},
		{"second retry after 5m", mid, nil, 2, 0, 5 * time.Minute, true},
		{"last step", mid, nil, 7, 0, 10 * time.Hour, true},
		{"schedule exhausted", mid, nil, 8, 0, 0, false},
		{"jitter lowers by up to 20%", low, nil, 1, 0, 4 * time.Second, true},
		{"endpoint schedule wins", mid, []time.Duration{time.Millisecond}, 1, 0, time.Millisecond, true},
		{"endpoint schedule exhausted", mid, []time.Duration{time.Millisecond}, 2, 0, 0, false},
		{"retry-after later than schedule", mid, nil, 1, time.Minute, time.Minute, true},
		{"retry-after sooner than schedule ignored", mid, nil, 2, time.Second, 5 * time.Minute, true},
		{"retry-after clamped", mid, nil, 1, 48 * time.Hour, MaxRetryAfter, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := *p
			p.randFunc = tc.rand
			got, ok := p.next(tc.schedule, tc.n, tc.retryAfter)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("next(%d) = %v, %v; want %v, %v", tc.n, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestJitterBounds(t *testing.T) {
	t.Parallel()
	p := &retryPolicy{schedule: DefaultSchedule(), jitter: 0.2, randFunc: defaultRand}
	for range 1000 {
		d, _ := p.next(nil, 1, 0)
		if d < 4*time.Second || d > 6*time.Second {
			t.Fatalf("jittered 5s delay %v outside ±20%%", d)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		status int
		value  string
		want   time.Duration
	}{
		{"seconds on 429", 429, "120", 2 * time.Minute},
		{"seconds on 503", 503, " 7 ", 7 * time.Second},
		{"ignored on 500", 500, "120", 0},
		{"http date", 503, now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date in the past", 503, now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"garbage", 429, "soon", 0},
		{"negative", 429, "-5", 0},
		{"huge clamped", 429, "999999999999", MaxRetryAfter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseRetryAfter(tc.status, tc.value, now); got != tc.want {
				t.Fatalf("parseRetryAfter(%d, %q) = %v, want %v", tc.status, tc.value, got, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]outcome{
		200: outcomeSucceeded, 204: outcomeSucceeded, 299: outcomeSucceeded,
		301: outcomeRetry, 400: outcomeRetry, 410: outcomeGone, 429: outcomeRetry, 500: outcomeRetry, 0: outcomeRetry,
	} {
		if got := classify(status); got != want {
			t.Errorf("classify(%d) = %v, want %v", status, got, want)
		}
	}
}

// TestDefaultScheduleIsNotShared: a change to one engine's default
// schedule reaches neither another engine nor the next default.
func TestDefaultScheduleIsNotShared(t *testing.T) {
	t.Parallel()
	a := Config{}.withDefaults()
	a.Schedule[0] = time.Nanosecond
	b := Config{}.withDefaults()
	if b.Schedule[0] != 5*time.Second || DefaultSchedule()[0] != 5*time.Second {
		t.Fatalf("another engine's schedule starts with %v, the default with %v; want 5s", b.Schedule[0], DefaultSchedule()[0])
	}
	if len(b.Schedule) != 7 || b.Schedule[6] != 10*time.Hour {
		t.Fatalf("default schedule = %v", b.Schedule)
	}
}
