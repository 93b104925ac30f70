package delivery

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/hookd/hookd"
)

// batchItem is one event of a batch publish as it goes through checks
// and the commit.
type batchItem struct {
	p      *hookd.Publish
	data   []byte // compact
	method string
	fp     []byte
	first  int // index of the earlier item with the same key; -1: none
	res    *hookd.PublishResult
	ew     *hookd.EventWrite
	tasks  []*task
}

// fresh reports whether the item is to be stored: neither a repeat of an
// earlier item nor of a stored event.
func (it *batchItem) fresh() bool { return it.first < 0 && it.res == nil }

// PublishBatch implements hookd.Engine. The batch is one "hookd.publish"
// span when tracing, under which its events are stored and delivered.
func (e *Engine) PublishBatch(ctx context.Context, ps []*hookd.Publish) (res []*hookd.PublishResult, err error) {
	ctx, end := e.cfg.tracer.publishBatch(ctx, ps)
	defer func() { end(err) }()
	return e.publishBatch(ctx, ps)
}

func (e *Engine) publishBatch(ctx context.Context, ps []*hookd.Publish) ([]*hookd.PublishResult, error) {
	e.gate.RLock()
	defer e.gate.RUnlock()
	if e.closed {
		return nil, hookd.Errorf(hookd.EUNAVAILABLE, "hookd is shutting down")
	}
	if len(ps) == 0 || len(ps) > hookd.MaxPublishBatch {
		return nil, hookd.Invalid("invalid batch", hookd.FieldError{Pointer: "",
			Message: fmt.Sprintf("holds %d events: send 1 to %d", len(ps), hookd.MaxPublishBatch)})
	}
	items, err := e.checkBatch(ctx, ps)
	if err != nil {
		return nil, err
	}
	release, err := e.reserveBatchKeys(items)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := e.earlierInBatch(ctx, items); err != nil {
		return nil, err
	}
	if err := e.commitBatch(ctx, items); err != nil {
		return nil, err
	}
	out := make([]*hookd.PublishResult, len(items))
	for i, it := range items {
		if it.first >= 0 {
			it.res = &hookd.PublishResult{Event: items[it.first].res.Event, Duplicate: true}
		}
		out[i] = it.res
	}
	return out, nil
}

// checkBatch validates every publish and pairs the repeated keys of the
// batch, returning one EINVALID with every failure.
func (e *Engine) checkBatch(ctx context.Context, ps []*hookd.Publish) ([]*batchItem, error) {
	items := make([]*batchItem, len(ps))
	var fe []hookd.FieldError
	byKey := map[string]int{}
	for i, p := range ps {
		it := &batchItem{p: p, first: -1}
		items[i] = it
		var err error
		if it.data, it.method, err = e.checkPublish(ctx, p); err != nil {
			if fe, err = appendInvalid(fe, i, err); err != nil {
				return nil, err
			}
			continue
		}
		it.fp = fingerprint(p, it.data)
		if p.IdempotencyKey == "" {
			continue
		}
		k := p.TenantID + "\x00" + p.IdempotencyKey
		j, seen := byKey[k]
		switch {
		case !seen:
			byKey[k] = i
		case bytes.Equal(items[j].fp, it.fp):
			it.first = j
		default:
			fe = append(fe, hookd.FieldError{Pointer: itemPointer(i, "/id"),
				Message: fmt.Sprintf("idempotency key %q is used by event %d with a different request", p.IdempotencyKey, j)})
		}
	}
	if len(fe) > 0 {
		return nil, hookd.Invalid("invalid events", fe...)
	}
	return items, nil
}

// appendInvalid adds the field errors of event i's EINVALID err to fe, its
// pointers under /i; any other error is returned as it is.
func appendInvalid(fe []hookd.FieldError, i int, err error) ([]hookd.FieldError, error) {
	if hookd.ErrorCode(err) != hookd.EINVALID {
		return fe, err
	}
	fields := hookd.ErrorFields(err)
	if len(fields) == 0 {
		return append(fe, hookd.FieldError{Pointer: itemPointer(i, ""), Message: hookd.ErrorMessage(err)}), nil
	}
	for _, f := range fields {
		fe = append(fe, hookd.FieldError{Pointer: itemPointer(i, f.Pointer), Message: f.Message})
	}
	return fe, nil
}

func itemPointer(i int, ptr string) string { return "/" + strconv.Itoa(i) + ptr }

// reserveBatchKeys marks every key of the batch as being committed on
// this node, or none of them when one is busy (ECONFLICT).
func (e *Engine) reserveBatchKeys(items []*batchItem) (func(), error) {
	var keys []idemKey
	for _, it := range items {
		if it.p.IdempotencyKey != "" && it.first < 0 {
			keys = append(keys, idemKey{eventScope(it.p.TenantID), it.p.IdempotencyKey})
		}
	}
	return e.reserveKeys(keys...)
}

// earlierInBatch looks up the stored holders of the batch's keys: a
// holder with the same fingerprint makes the item a duplicate, one with
// another fingerprint a validation failure.
func (e *Engine) earlierInBatch(ctx context.Context, items []*batchItem) error {
	return e.answerFromHolders(ctx, items, func(it *batchItem) bool {
		return it.p.IdempotencyKey != "" && it.first < 0
	}, true, "invalid events")
}

// answerFromHolders answers each item that pick selects from the event
// that holds its idempotency key: as that event's duplicate when the
// fingerprints match, and with a field error at the item's /id when they
// do not (all of them in one EINVALID error with the message invalid). A
// key nobody holds leaves the item as it is when unheldOK, and is an error
// otherwise.
func (e *Engine) answerFromHolders(ctx context.Context, items []*batchItem, pick func(*batchItem) bool, unheldOK bool, invalid string) error {
	var fe []hookd.FieldError
	for i, it := range items {
		if !pick(it) {
			continue
		}
		res, err := e.earlier(ctx, eventScope(it.p.TenantID), it.p, it.fp)
		switch {
		case err == nil:
			it.res = res
		case hookd.ErrorCode(err) == hookd.EMISMATCH:
			fe = append(fe, hookd.FieldError{Pointer: itemPointer(i, "/id"), Message: hookd.ErrorMessage(err)})
		case unheldOK && hookd.IsNotFound(err):
		default:
			return fmt.Errorf("event with idempotency key %q: %w", it.p.IdempotencyKey, err)
		}
	}
	if len(fe) > 0 {
		return hookd.Invalid(invalid, fe...)
	}
	return nil
}

// commitBatch stores the fresh items with their deliveries in one write,
// then dispatches them.
func (e *Engine) commitBatch(ctx context.Context, items []*batchItem) error {
	op := &writeOp{}
	pending, over := e.heldCount(), map[string]bool{}
	for _, it := range items {
		if !it.fresh() {
			continue
		}
		ev, pl, targets, err := e.prepare(ctx, it.p, it.data)
		if err != nil {
			return err
		}
		ev.IdempotencyKey, ev.Method = it.p.IdempotencyKey, it.method
		ev.Trace = e.cfg.tracer.contextOf(ctx, it.p.Trace)
		pending += len(targets)
		it.ew, it.tasks = e.leasedWrite(ev, targets, pl, pending <= e.cfg.MaxHeld, over)
		if it.p.IdempotencyKey != "" {
			it.ew.Key = &hookd.IdempotencyKey{Scope: eventScope(it.p.TenantID), Key: it.p.IdempotencyKey,
				Fingerprint: it.fp, RefID: ev.ID, CreatedAt: ev.CreatedAt}
		}
		op.events = append(op.events, it.ew)
		op.bytes += int64(len(ev.Payload))
	}
	if len(op.events) == 0 {
		return nil
	}
	if err := e.commit(ctx, op); err != nil {
		if hookd.ErrorCode(err) == hookd.EUNAVAILABLE {
			e.metrics.refused.Inc()
		}
		return err
	}
	return e.afterBatch(ctx, items)
}

// afterBatch sets the results of the committed items and dispatches their
// deliveries. An item whose key another node took meanwhile was not
// stored: it answers the event that holds the key, as a duplicate when the
// request was the same, and as invalid at its /id otherwise.
func (e *Engine) afterBatch(ctx context.Context, items []*batchItem) error {
	var tasks []*task
	var stored int
	for _, it := range items {
		if it.ew == nil {
			continue
		}
		if !it.ew.Duplicate {
			it.res = &hookd.PublishResult{Event: it.ew.Event, Deliveries: len(it.ew.Deliveries)}
			e.logPublished(it.ew.Event, len(it.ew.Deliveries), "", "")
			tasks = append(tasks, it.tasks...)
			stored++
		}
	}
	e.metrics.published.Add(float64(stored))
	e.hold(tasks)
	return e.answerFromHolders(ctx, items, func(it *batchItem) bool {
		return it.ew != nil && it.ew.Duplicate
	}, false, "idempotency keys taken meanwhile by other requests; the other events were stored")
}
