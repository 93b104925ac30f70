package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// maxChunkBytes bounds the events of one batch request, under the
// server's default batch body cap with room for the envelope.
const maxChunkBytes = httpapi.DefaultMaxBatchBody - 64<<10

// eventReader reads the events of a file: a JSON array of events, or
// one event per line (NDJSON; any whitespace between them does).
type eventReader struct {
	dec   *json.Decoder
	array bool
	n     int // events read
	done  bool
	held  *httpapi.PublishInput // read, but beyond the last batch's bytes: the next batch's first
}

// newEventReader tells the two forms apart by the first byte that is not
// whitespace.
func newEventReader(r io.Reader) (*eventReader, error) {
	br := bufio.NewReader(r)
	for {
		b, err := br.Peek(1)
		if err == io.EOF {
			return &eventReader{done: true}, nil
		}
		if err != nil {
			return nil, err
		}
		if !strings.ContainsRune(" \t\r\n", rune(b[0])) {
			break
		}
		_, _ = br.ReadByte()
	}
	er := &eventReader{dec: json.NewDecoder(br)}
	er.dec.DisallowUnknownFields()
	if b, _ := br.Peek(1); b[0] == '[' {
		er.array = true
		if _, err := er.dec.Token(); err != nil {
			return nil, err
		}
	}
	return er, nil
}

// next returns up to max events, fewer at the end of the input, and no
// more than maxBytes of them as the request encodes them (one at least:
// an event too large for any batch is the server's to refuse).
func (er *eventReader) next(max, maxBytes int) ([]httpapi.PublishInput, error) {
	var out []httpapi.PublishInput
	size := 0
	if er.held != nil {
		out, size, er.held = append(out, *er.held), encodedSize(*er.held), nil
	}
	for len(out) < max && !er.done {
		more, err := er.more()
		if err != nil {
			return nil, err
		}
		if !more {
			er.done = true
			break
		}
		var ev httpapi.PublishInput
		if err := er.dec.Decode(&ev); err != nil {
			return nil, fmt.Errorf("event %d (at byte %d): %w", er.n, er.dec.InputOffset(), err)
		}
		er.n++
		n := encodedSize(ev)
		if len(out) > 0 && size+n > maxBytes {
			er.held = &ev
			break
		}
		out, size = append(out, ev), size+n
	}
	return out, nil
}

// encodedSize is the bytes ev takes in a batch request's body, with the
// comma before it.
func encodedSize(ev httpapi.PublishInput) int {
	b, _ := json.Marshal(ev)
	return len(b) + 1
}

// more reports whether another event follows; at the end it checks that
// nothing but the array's closing bracket does.
func (er *eventReader) more() (bool, error) {
	if er.dec.More() {
		return true, nil
	}
	if er.array {
		if t, err := er.dec.Token(); err != nil || t != json.Delim(']') {
			return false, fmt.Errorf("after event %d: the array does not end well", er.n)
		}
	}
	if _, err := er.dec.Token(); err != io.EOF {
		return false, fmt.Errorf("after event %d (at byte %d): unexpected data", er.n, er.dec.InputOffset())
	}
	return false, nil
}

// publishFile publishes the events of path ("-" for stdin) in batches of
// at most hookd.MaxPublishBatch, in order, and shows each event's id and
// status. Each batch has cliTimeout. A refused batch stops the run: the batches before it stay
// published, and the error says which events were refused.
func (c *apiCLI) publishFile(ctx context.Context, cl *httpapi.Client, tenant, path string, stdin io.Reader) error {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return &usageError{fmt.Errorf("--file: %w", err)}
		}
		defer f.Close()
		r = f
	}
	er, err := newEventReader(r)
	if err != nil {
		return &usageError{fmt.Errorf("--file: %w", err)}
	}
	var res httpapi.PublishBatchResult
	for {
		chunk, err := er.next(hookd.MaxPublishBatch, maxChunkBytes)
		if err != nil {
			return c.partial(res, &usageError{fmt.Errorf("--file: %w", err)})
		}
		if len(chunk) == 0 {
			break
		}
		got, err := publishChunk(ctx, cl, tenant, chunk)
		if err != nil {
			return c.partial(res, refusedChunk(err, len(res.Events), len(chunk)))
		}
		res.Events = append(res.Events, got...)
	}
	if len(res.Events) == 0 {
		return &usageError{errors.New("--file: no events in the input")}
	}
	return c.showPublished(res)
}

// publishChunk publishes one batch within cliTimeout: a long file takes
// as many of those as it needs.
func publishChunk(ctx context.Context, cl *httpapi.Client, tenant string, chunk []httpapi.PublishInput) ([]httpapi.PublishedEvent, error) {
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	return cl.PublishBatch(ctx, tenant, chunk)
}

// partial shows what was published before err, and returns err.
func (c *apiCLI) partial(res httpapi.PublishBatchResult, err error) error {
	if len(res.Events) > 0 {
		if e := c.showPublished(res); e != nil {
			return errors.Join(err, e)
		}
	}
	return err
}

// refusedChunk places a batch's error in the whole input: its field
// pointers count events from the input's first, and it says which were
// refused.
func refusedChunk(err error, offset, n int) error {
	before := ""
	if offset > 0 {
		before = fmt.Sprintf(" (the %d before them were published)", offset)
	}
	var p *httpapi.Problem
	if !errors.As(err, &p) { // no answer: the batch may have been stored
		return fmt.Errorf("events %d to %d, stored or not%s (sending them again duplicates those without an id): %w",
			offset, offset+n-1, before, err)
	}
	what := fmt.Sprintf("events %d to %d refused, none of them stored%s", offset, offset+n-1, before)
	for i, f := range p.Errors {
		if rest, ok := strings.CutPrefix(f.Pointer, "/events/"); ok {
			idx, tail, _ := strings.Cut(rest, "/")
			if k, err := strconv.Atoi(idx); err == nil {
				p.Errors[i].Pointer = "/events/" + strconv.Itoa(offset+k)
				if tail != "" {
					p.Errors[i].Pointer += "/" + tail
				}
			}
		}
	}
	p.Detail = what + ": " + p.Detail
	return p
}

func (c *apiCLI) showPublished(res httpapi.PublishBatchResult) error {
	return c.emit(res, func(w *tabwriter.Writer) {
		created := 0
		fmt.Fprintln(w, "#\tID\tSTATUS")
		for i, e := range res.Events {
			fmt.Fprintf(w, "%d\t%s\t%s\n", i, e.ID, e.Status)
			if e.Status == httpapi.PublishCreated {
				created++
			}
		}
		fmt.Fprintf(w, "%d events: %d created, %d duplicate\n", len(res.Events), created, len(res.Events)-created)
	})
}
