package httpapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hookd/hookd"
)

// pageOf reads ?limit= and ?cursor=. A limit that is not an integer of at
// least 1 is EINVALID at /query/limit; above MaxPageLimit it is clamped.
func pageOf(r *http.Request) (hookd.Page, error) {
	q := r.URL.Query()
	p := hookd.Page{Cursor: q.Get("cursor")}
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 {
			return p, invalid("/query/limit", "must be an integer from 1 to 250")
		}
		p.Limit = min(n, hookd.MaxPageLimit)
	}
	return p, nil
}

// listOf makes a page of the listing; Data is [] rather than null.
func listOf[T any](items []T, next string) List[T] {
	l := List[T]{Data: items}
	if l.Data == nil {
		l.Data = []T{}
	}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}

// mapList converts a page of records to wire values.
func mapList[R, T any](recs []R, next string, conv func(R) T) List[T] {
	out := make([]T, len(recs))
	for i, rec := range recs {
		out[i] = conv(rec)
	}
	return listOf(out, next)
}

// listError points a store's refusal of a listing at the cursor: every
// other parameter is checked before the store sees it.
func listError(err error) error {
	if hookd.ErrorCode(err) == hookd.EINVALID && len(hookd.ErrorFields(err)) == 0 {
		return invalid("/query/cursor", "is not a cursor of this listing")
	}
	return err
}

// timeParam reads an optional RFC 3339 query parameter.
func timeParam(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, invalid("/query/"+name, "must be an RFC 3339 date-time such as 2024-05-01T12:00:00Z")
	}
	return t, nil
}

// pageByName pages items sorted by name ascending (listings the store
// returns whole); the cursor is the last name shown, base64url-encoded.
func pageByName[T any](items []T, name func(T) string, p hookd.Page) ([]T, string, error) {
	start := 0
	if p.Cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || len(after) == 0 {
			return nil, "", invalid("/query/cursor", "is not a cursor of this listing")
		}
		for start < len(items) && name(items[start]) <= string(after) {
			start++
		}
	}
	end := min(start+p.Size(), len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(name(items[end-1])))
	}
	return items[start:end], next, nil
}
