package signature_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd/signature"
)

// Fixtures from the "two secrets, in order" vector in testdata/vectors.json,
// so these tests do not trust the Signer under test to build their input.
const (
	secretA = "whsec_aG9va2QtdGVzdC1rZXktMjUtYnl0ZXMhIQ=="
	secretB = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretC = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD" // signs nothing below
	fixID   = "evt_rotation"
	fixTS   = "1735787045"
	fixBody = `{"type":"webhook.test","timestamp":"2025-01-02T03:04:05.678Z","data":{"note":"rotation"}}`
	sigA    = "v1,gYVuur9/elU7yVJ8JwcswgWXkLy4+HPsjEgTDnjq/F0="
	sigB    = "v1,HqrcPmnxeQ6tMPe6DMYDTuwc9lC/3ewF/PS6UoPobFc="
)

var fixTime = time.Unix(1735787045, 0)

// newVerifier returns a Verifier whose clock reads fixTime+offset.
func newVerifier(t *testing.T, offset time.Duration, secrets ...string) *signature.Verifier {
	t.Helper()
	v, err := signature.NewVerifier(secrets...)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	v.NowFunc = func() time.Time { return fixTime.Add(offset) }
	return v
}

// checkErr fails unless err is nil when want is nil, or wraps want.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("err = %v, want nil", err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("err = %v, want one wrapping %v", err, want)
	}
}

func TestVerifyParts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		secrets   []string      // default: secretA
		now       time.Duration // clock offset from fixTime
		tolerance time.Duration
		id, ts    string // default: fixID, fixTS
		sig       string
		body      string // default: fixBody
		want      error
	}{
		{name: "match", sig: sigA},
		{name: "match second of two entries", secrets: []string{secretB}, sig: sigA + " " + sigB},
		{name: "match first of two entries", sig: sigA + " " + sigB},
		{name: "rotation: verifier holds old and new", secrets: []string{secretC, secretB}, sig: sigB},
		{name: "rotation: old secret retired", secrets: []string{secretB}, sig: sigA, want: signature.ErrInvalid},
		{name: "wrong secret", secrets: []string{secretC}, sig: sigA + " " + sigB, want: signature.ErrInvalid},
		{name: "tampered body", sig: sigA, body: fixBody + " ", want: signature.ErrInvalid},
		{name: "empty body", sig: sigA, body: "-", want: signature.ErrInvalid},
		{name: "tampered id", sig: sigA, id: "evt_rotation2", want: signature.ErrInvalid},
		{name: "tampered timestamp", sig: sigA, ts: "1735787046", want: signature.ErrInvalid},
		{name: "leading zero changes signed content", sig: sigA, ts: "0" + fixTS, want: signature.ErrInvalid},
		{name: "truncated signature", sig: sigA[:len(sigA)-1], want: signature.ErrInvalid},
		{name: "signature with extra byte", sig: sigA + "=", want: signature.ErrInvalid},
		{name: "signature of other length", sig: "v1,AAAA", want: signature.ErrInvalid},
		{name: "stale at tolerance is accepted", sig: sigA, now: 5 * time.Minute},
		{name: "stale beyond tolerance", sig: sigA, now: 5*time.Minute + time.Second, want: signature.ErrExpired},
		{name: "future at tolerance is accepted", sig: sigA, now: -5 * time.Minute},
		{name: "future beyond tolerance", sig: sigA, now: -5*time.Minute - time.Second, want: signature.ErrExpired},
		{name: "custom tolerance stale", sig: sigA, tolerance: 10 * time.Second, now: 11 * time.Second, want: signature.ErrExpired},
		{name: "custom tolerance future", sig: sigA, tolerance: 10 * time.Second, now: -11 * time.Second, want: signature.ErrExpired},
		{name: "custom tolerance within", sig: sigA, tolerance: 10 * time.Second, now: 10 * time.Second},
		{name: "negative tolerance means default", sig: sigA, tolerance: -time.Second, now: 4 * time.Minute},
		{name: "expired wins over bad signature", sig: "v1,bogus", now: time.Hour, want: signature.ErrExpired},
		{name: "epoch timestamp is stale", sig: sigA, ts: "0", want: signature.ErrExpired},
		{name: "missing id", sig: sigA, id: " ", want: signature.ErrMissing},
		{name: "missing timestamp", sig: sigA, ts: "\t", want: signature.ErrMissing},
		{name: "missing signature", sig: "", want: signature.ErrMissing},
		{name: "blank signature", sig: "  \t ", want: signature.ErrMissing},
		{name: "timestamp not a number", sig: sigA, ts: "yesterday", want: signature.ErrMalformed},
		{name: "timestamp with fraction", sig: sigA, ts: fixTS + ".0", want: signature.ErrMalformed},
		{name: "timestamp with sign", sig: sigA, ts: "+" + fixTS, want: signature.ErrMalformed},
		{name: "negative timestamp", sig: sigA, ts: "-" + fixTS, want: signature.ErrMalformed},
		{name: "timestamp in milliseconds is stale", sig: sigA, ts: fixTS + "000", want: signature.ErrExpired},
		{name: "timestamp overflows int64", sig: sigA, ts: "99999999999999999999", want: signature.ErrMalformed},
		{name: "timestamp RFC 3339", sig: sigA, ts: "2025-01-02T03:04:05Z", want: signature.ErrMalformed},
		{name: "signature without version", sig: strings.TrimPrefix(sigA, "v1,"), want: signature.ErrMalformed},
		{name: "signature with empty parts", sig: "v1, ,x", want: signature.ErrMalformed},
		{name: "unknown versions only", sig: "v1a," + sigA[3:] + " v2," + sigA[3:], want: signature.ErrInvalid},
		{name: "version is case-sensitive", sig: "V1," + sigA[3:], want: signature.ErrInvalid},
		{name: "unknown version ignored beside v1", sig: "v1a,whatever v2,x " + sigA},
		{name: "garbage entry ignored beside v1", sig: "nonsense " + sigA},
		{name: "leading and trailing spaces", sig: "   " + sigA + "  "},
		{name: "several spaces between entries", sig: "v1,bogus     " + sigA},
		{name: "tab between entries", sig: "v1,bogus\t" + sigA},
		{name: "comma-separated entries are one entry", sig: sigB + "," + sigA, want: signature.ErrInvalid},
		{name: "id and timestamp with spaces", sig: sigA, id: "  " + fixID + "\t", ts: " " + fixTS + " "},
		{name: "space inside id is signed", sig: sigA, id: "evt_ rotation", want: signature.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			secrets := tc.secrets
			if secrets == nil {
				secrets = []string{secretA}
			}
			id, ts, body := orDefault(tc.id, fixID), orDefault(tc.ts, fixTS), orDefault(tc.body, fixBody)
			if body == "-" {
				body = ""
			}
			v := newVerifier(t, tc.now, secrets...)
			v.Tolerance = tc.tolerance
			checkErr(t, v.VerifyParts(id, ts, tc.sig, []byte(body)), tc.want)
		})
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func TestVerifyHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers [][2]string // added in order with Header.Add
		want    error
	}{
		{name: "webhook-* headers", headers: [][2]string{
			{"webhook-id", fixID}, {"webhook-timestamp", fixTS}, {"webhook-signature", sigA}}},
		{name: "svix-* headers", headers: [][2]string{
			{"svix-id", fixID}, {"svix-timestamp", fixTS}, {"svix-signature", sigA}}},
		{name: "upper-case names", headers: [][2]string{
			{"WEBHOOK-ID", fixID}, {"Webhook-Timestamp", fixTS}, {"webhook-SIGNATURE", sigA}}},
		{name: "no headers", want: signature.ErrMissing},
		{name: "signature header absent", headers: [][2]string{
			{"webhook-id", fixID}, {"webhook-timestamp", fixTS}}, want: signature.ErrMissing},
		{name: "id header absent", headers: [][2]string{
			{"webhook-timestamp", fixTS}, {"webhook-signature", sigA}}, want: signature.ErrMissing},
		{name: "timestamp header absent", headers: [][2]string{
			{"svix-id", fixID}, {"svix-signature", sigA}}, want: signature.ErrMissing},
		{name: "sets are not mixed", headers: [][2]string{
			{"webhook-id", fixID}, {"webhook-timestamp", fixTS}, {"svix-signature", sigA}}, want: signature.ErrMissing},
		{name: "webhook-* wins over svix-*", headers: [][2]string{
			{"webhook-id", fixID}, {"webhook-timestamp", fixTS}, {"webhook-signature", sigA},
			{"svix-id", "other"}, {"svix-timestamp", "garbage"}, {"svix-signature", "v1,bogus"}}},
		{name: "webhook-* chosen even when only svix-* is valid", headers: [][2]string{
			{"webhook-id", fixID}, {"webhook-timestamp", fixTS}, {"webhook-signature", "v1,bogus"},
			{"svix-id", fixID}, {"svix-timestamp", fixTS}, {"svix-signature", sigA}}, want: signature.ErrInvalid},
		{name: "signature split over two header lines", headers: [][2]string{
			{"webhook-id", fixID}, {"webhook-timestamp", fixTS},
			{"webhook-signature", "v1,bogus"}, {"webhook-signature", sigA}}},
		{name: "malformed timestamp", headers: [][2]string{
			{"webhook-id", fixID}, {"webhook-timestamp", "soon"}, {"webhook-signature", sigA}}, want: signature.ErrMalformed},
		{name: "tampered id", headers: [][2]string{
			{"svix-id", "evt_other"}, {"svix-timestamp", fixTS}, {"svix-signature", sigA}}, want: signature.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for _, kv := range tc.headers {
				h.Add(kv[0], kv[1])
			}
			v := newVerifier(t, 0, secretA)
			checkErr(t, v.Verify(h, []byte(fixBody)), tc.want)
		})
	}
}

func TestVerifierDefaultClock(t *testing.T) {
	t.Parallel()
	v, err := signature.NewVerifier(secretA)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signature.NewSigner(secretA)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(fixBody)
	for _, tc := range []struct {
		age  time.Duration
		want error
	}{
		{0, nil},
		{time.Minute, nil},
		{-time.Minute, nil},
		{10 * time.Minute, signature.ErrExpired},
		{-10 * time.Minute, signature.ErrExpired},
	} {
		ts := time.Now().Add(-tc.age)
		sig := string(s.Sign(nil, fixID, ts, body))
		err := v.VerifyParts(fixID, strconv.FormatInt(ts.Unix(), 10), sig, body)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("age %v: err = %v, want %v", tc.age, err, tc.want)
		}
	}
}

func TestZeroVerifierRejects(t *testing.T) {
	t.Parallel()
	var v signature.Verifier
	v.NowFunc = func() time.Time { return fixTime }
	err := v.VerifyParts(fixID, fixTS, sigA, []byte(fixBody))
	checkErr(t, err, signature.ErrBadSecret)
}

func TestZeroSignerSignsNothing(t *testing.T) {
	t.Parallel()
	var s signature.Signer
	if got := s.Sign([]byte("x"), fixID, fixTime, nil); string(got) != "x" {
		t.Errorf("zero Signer appended: %q", got)
	}
}

func TestNewSignerVerifierErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
	}{
		{"no secrets", nil},
		{"bad base64", []string{"whsec_not*base64"}},
		{"good then bad", []string{secretA, "whsec_%%%%"}},
		{"empty", []string{""}},
		{"tag only", []string{"whsec_"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := signature.NewSigner(tc.secrets...)
			if s != nil || !errors.Is(err, signature.ErrBadSecret) {
				t.Errorf("NewSigner = %v, %v; want nil, ErrBadSecret", s, err)
			}
			v, err := signature.NewVerifier(tc.secrets...)
			if v != nil || !errors.Is(err, signature.ErrBadSecret) {
				t.Errorf("NewVerifier = %v, %v; want nil, ErrBadSecret", v, err)
			}
			for _, secret := range tc.secrets {
				if len(secret) > len("whsec_") && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q reveals the secret", err)
				}
			}
		})
	}
	if _, err := signature.Sign("whsec_!!", fixID, fixTime, nil); !errors.Is(err, signature.ErrBadSecret) {
		t.Errorf("Sign with bad secret: err = %v, want ErrBadSecret", err)
	}
}

func TestSignerOrderAndConcurrency(t *testing.T) {
	t.Parallel()
	ab, err := signature.NewSigner(secretA, secretB)
	if err != nil {
		t.Fatal(err)
	}
	ba, err := signature.NewSigner(secretB, secretA)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for range 16 {
		wg.Go(func() {
			var buf []byte
			for range 200 {
				if buf = ab.Sign(buf[:0], fixID, fixTime, []byte(fixBody)); string(buf) != sigA+" "+sigB {
					errs <- string(buf)
					return
				}
				if buf = ba.Sign(buf[:0], fixID, fixTime, []byte(fixBody)); string(buf) != sigB+" "+sigA {
					errs <- string(buf)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("concurrent Sign produced %q", got)
	}
}

func TestSignLongMessageID(t *testing.T) {
	t.Parallel()
	// Longer than the pooled scratch buffer keeps: the result must still
	// match a Verifier, and a later short id must not see stale bytes.
	long := strings.Repeat("m", 10<<10)
	s, err := signature.NewSigner(secretA)
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, 0, secretA)
	for _, id := range []string{long, fixID, long, fixID} {
		sig := s.Sign(nil, id, fixTime, []byte(fixBody))
		if err := v.VerifyParts(id, fixTS, string(sig), []byte(fixBody)); err != nil {
			t.Errorf("id of %d bytes: %v", len(id), err)
		}
	}
	if got := string(s.Sign(nil, fixID, fixTime, []byte(fixBody))); got != sigA {
		t.Errorf("after a long id, Sign = %q, want %q", got, sigA)
	}
}

func TestSignAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race")
	}
	s, err := signature.NewSigner(secretA, secretB)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(fixBody)
	buf := make([]byte, 0, 128)
	s.Sign(buf, fixID, fixTime, body) // warm the pool
	allocs := testing.AllocsPerRun(100, func() {
		buf = s.Sign(buf[:0], fixID, fixTime, body)
	})
	// sync.Pool may drop its contents at a GC, so allow a rare refill.
	if allocs > 0.5 {
		t.Errorf("Signer.Sign allocates %.1f times per call, want 0", allocs)
	}
}
