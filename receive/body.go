package receive

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"

	"github.com/hookd/hookd"
)

// acceptEncoding is the Accept-Encoding a 415 for an unknown
// Content-Encoding carries.
const acceptEncoding = "br, gzip, deflate"

// maxEncodings bounds the stacked Content-Encodings undone.
const maxEncodings = 2

// readBody reads the body as sent, refusing one over max bytes (413)
// before reading it when Content-Length says so, else once it passes max.
func readBody(r *http.Request, max int64) ([]byte, *rejection) {
	if r.ContentLength > max {
		return nil, reject(http.StatusRequestEntityTooLarge, hookd.ETOOLARGE,
			fmt.Sprintf("body of %d bytes is over max_body (%d bytes)", r.ContentLength, max))
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	size := 512
	if r.ContentLength > 0 {
		size = int(r.ContentLength) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	n, err := buf.ReadFrom(io.LimitReader(r.Body, max+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || n > max:
		return nil, reject(http.StatusRequestEntityTooLarge, hookd.ETOOLARGE,
			fmt.Sprintf("body is over max_body (%d bytes)", max))
	case err != nil:
		return nil, reject(http.StatusBadRequest, hookd.EMALFORMED, "could not read the body")
	}
	return buf.Bytes(), nil
}

// decodeBody undoes the Content-Encodings of body, last applied first,
// checking the decoded size against max while it streams, so that a small
// bomb never expands in memory past max, and reserving what it decodes
// from res (503 when the shared budget has no room).
func decodeBody(h http.Header, body []byte, max int64, res *reservation) ([]byte, *rejection) {
	codings := contentCodings(h)
	if len(codings) > maxEncodings {
		return nil, unsupportedEncoding(strings.Join(codings, ", "))
	}
	for i := len(codings) - 1; i >= 0; i-- {
		c := codings[i]
		if c == "identity" {
			continue
		}
		if !knownCoding(c) {
			return nil, unsupportedEncoding(c)
		}
		out, rej := inflate(c, body, max, res)
		if rej != nil {
			return nil, rej
		}
		body = out
	}
	if int64(len(body)) > max {
		return nil, reject(http.StatusRequestEntityTooLarge, hookd.ETOOLARGE,
			fmt.Sprintf("body is over max_decompressed (%d bytes)", max))
	}
	return body, nil
}

// checkCodings refuses, before anything is decoded, a Content-Encoding
// hookd does not know or too many of them (415).
func checkCodings(h http.Header) *rejection {
	codings := contentCodings(h)
	if len(codings) > maxEncodings {
		return unsupportedEncoding(strings.Join(codings, ", "))
	}
	for _, c := range codings {
		if c != "identity" && !knownCoding(c) {
			return unsupportedEncoding(c)
		}
	}
	return nil
}

// encoded reports whether the request's body has a Content-Encoding to
// undo.
func encoded(h http.Header) bool {
	for _, c := range contentCodings(h) {
		if c != "identity" {
			return true
		}
	}
	return false
}

func contentCodings(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Content-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

func knownCoding(c string) bool {
	switch c {
	case "gzip", "x-gzip", "deflate", "br":
		return true
	}
	return false
}

func unsupportedEncoding(c string) *rejection {
	rej := reject(http.StatusUnsupportedMediaType, hookd.EUNSUPPORTED,
		fmt.Sprintf("Content-Encoding %q is not supported; use br, gzip or deflate", c))
	rej.header = http.Header{"Accept-Encoding": {acceptEncoding}}
	return rej
}

// inflate decodes one coding of body, reading at most limit+1 bytes.
// Its output buffer grows by doubling, each new buffer reserved from res
// before it is allocated; the decoder's own memory is reserved too.
func inflate(coding string, body []byte, limit int64, res *reservation) ([]byte, *rejection) {
	overhead := windowSize(coding, body)
	if !res.take(overhead) {
		return nil, overBudget()
	}
	defer res.give(overhead)
	rc, err := decoder(coding, body)
	if err != nil {
		return nil, corrupt(coding)
	}
	defer rc.Close()
	first := min(int64(decodeChunk), limit+1)
	if !res.take(first) {
		return nil, overBudget()
	}
	buf := make([]byte, 0, first)
	var peek [512]byte
	for {
		var n int
		var err error
		if len(buf) < cap(buf) {
			n, err = rc.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
		} else {
			// Full: read a little aside first, so that a body that ends
			// exactly here does not grow the buffer for nothing.
			n, err = rc.Read(peek[:])
			if n > 0 {
				var rej *rejection
				if buf, rej = grow(buf, peek[:n], limit, res); rej != nil {
					return nil, rej
				}
			}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, corrupt(coding)
		}
	}
}

// grow doubles a full buffer (up to limit+1 bytes), reserving the new
// one from res before it is made, and appends more to it: 413 when the
// body passes limit, 503 when the budget has no room.
func grow(buf, more []byte, limit int64, res *reservation) ([]byte, *rejection) {
	tooBig := reject(http.StatusRequestEntityTooLarge, hookd.ETOOLARGE,
		fmt.Sprintf("decompressed body is over max_decompressed (%d bytes)", limit))
	if int64(len(buf)+len(more)) > limit {
		return nil, tooBig
	}
	next := min(max(2*int64(cap(buf)), int64(len(buf)+len(more))), limit)
	if !res.take(next) {
		return nil, overBudget()
	}
	nb := make([]byte, len(buf), next)
	copy(nb, buf)
	res.give(int64(cap(buf)))
	return append(nb, more...), nil
}

// windowSize is the memory a decoder of coding holds besides its output:
// for brotli the window the stream declares in its first bits (up to 16
// MiB, however small the body), else a deflate window and its tables.
func windowSize(coding string, body []byte) int64 {
	if coding != "br" || len(body) == 0 {
		return decoderOverhead
	}
	b := body[0]
	bits := 16
	switch {
	case b&1 == 0:
	case (b>>1)&7 != 0:
		bits = 17 + int((b>>1)&7)
	case (b>>4)&7 != 0:
		bits = 8 + int((b>>4)&7)
	default:
		bits = 17
	}
	return int64(1)<<bits + decoderOverhead
}

func corrupt(coding string) *rejection {
	return reject(http.StatusBadRequest, hookd.EMALFORMED,
		fmt.Sprintf("the %s body is corrupt or truncated", coding))
}

// decoder returns a reader of body decoded by coding. "deflate" is zlib
// (RFC 1950) as HTTP says, but some senders use raw deflate (RFC 1951):
// a body without a valid zlib header is read as raw deflate.
func decoder(coding string, body []byte) (io.ReadCloser, error) {
	br := bytes.NewReader(body)
	switch coding {
	case "gzip", "x-gzip":
		return gzip.NewReader(br)
	case "br":
		return io.NopCloser(brotli.NewReader(br)), nil
	}
	if isZlib(body) {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

// isZlib reports whether b starts with a zlib header: compression method
// 8 (deflate), a window of at most 32 KiB, and a check sum of the two
// bytes that is a multiple of 31.
func isZlib(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	cmf, flg := b[0], b[1]
	return cmf&0x0f == 8 && cmf>>4 <= 7 && (uint16(cmf)<<8|uint16(flg))%31 == 0
}

// mediaTypes is the accepted content types of a source.
type mediaTypes []string

var defaultMediaTypes = mediaTypes{"application/json", "*/*+json"}

// accepts reports whether the Content-Type ct is accepted, and returns
// its media type, lower-cased, without parameters.
func (m mediaTypes) accepts(ct string) (string, bool) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", false
	}
	for _, pat := range m {
		if matchMediaType(pat, mt) {
			return mt, true
		}
	}
	return mt, false
}

func matchMediaType(pat, mt string) bool {
	if pat == mt || pat == "*/*" {
		return true
	}
	pt, ps, _ := strings.Cut(pat, "/")
	mtt, mts, _ := strings.Cut(mt, "/")
	if pt != "*" && pt != mtt {
		return false
	}
	if ps == "*" {
		return true
	}
	if suffix, ok := strings.CutPrefix(ps, "*+"); ok {
		return strings.HasSuffix(mts, "+"+suffix)
	}
	return ps == mts
}

// isJSON and isForm tell how a media type's body parses.
func isJSON(mt string) bool { return mt == "application/json" || strings.HasSuffix(mt, "+json") }

func isForm(mt string) bool { return mt == "application/x-www-form-urlencoded" }
