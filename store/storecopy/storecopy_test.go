package storecopy_test

import (
	"context"
	"errors"
	"iter"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/store/storecopy"
)

// memStore is an in-memory Exporter and Importer of tenants and events
// only, enough to drive Copy.
type memStore struct {
	tenants, events []string
	extra           int64 // events Count reports beyond those held
	imports         int   // Import calls
	cleared         bool
}

func (m *memStore) Count(_ context.Context, k hookd.Kind) (int64, error) {
	switch k {
	case hookd.KindTenants:
		return int64(len(m.tenants)), nil
	case hookd.KindEvents:
		return int64(len(m.events)) + m.extra, nil
	}
	return 0, nil
}

func (m *memStore) Export(_ context.Context, k hookd.Kind, size int) iter.Seq2[*hookd.Records, error] {
	return func(yield func(*hookd.Records, error) bool) {
		var ids []string
		switch k {
		case hookd.KindTenants:
			ids = m.tenants
		case hookd.KindEvents:
			ids = m.events
		}
		for i := 0; i < len(ids); i += size {
			r := &hookd.Records{}
			for _, id := range ids[i:min(i+size, len(ids))] {
				if k == hookd.KindTenants {
					r.Tenants = append(r.Tenants, &hookd.Tenant{ID: id})
				} else {
					r.Events = append(r.Events, &hookd.Event{ID: id})
				}
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

func (m *memStore) Import(_ context.Context, r *hookd.Records) error {
	m.imports++
	for _, t := range r.Tenants {
		if t.ID != hookd.DefaultTenant {
			m.tenants = append(m.tenants, t.ID)
		}
	}
	for _, e := range r.Events {
		m.events = append(m.events, e.ID)
	}
	return nil
}

func (m *memStore) Clear(context.Context) error {
	m.cleared = true
	m.tenants, m.events = []string{hookd.DefaultTenant}, nil
	return nil
}

func source(events int) *memStore {
	m := &memStore{tenants: []string{hookd.DefaultTenant, "acme"}}
	for i := range events {
		m.events = append(m.events, "evt_"+string(rune('a'+i)))
	}
	return m
}

func TestCopyPages(t *testing.T) {
	src, dst := source(7), &memStore{tenants: []string{hookd.DefaultTenant}}
	var progress []int64
	counts, err := storecopy.Copy(t.Context(), src, dst, storecopy.Options{PageSize: 3,
		ProgressFunc: func(k hookd.Kind, n int64) {
			if k == hookd.KindEvents {
				progress = append(progress, n)
			}
		}})
	require.NoError(t, err)
	assert.Equal(t, []int64{3, 6, 7}, progress, "7 events in pages of 3")
	assert.Equal(t, 4, dst.imports, "one tenants page, three events pages")
	assert.Equal(t, src.events, dst.events)
	for _, c := range counts {
		assert.True(t, c.OK(), "%+v", c)
	}
}

func TestCopyCountsDiffer(t *testing.T) {
	src, dst := source(2), &memStore{tenants: []string{hookd.DefaultTenant}}
	src.extra = 1 // a row written after the count, or lost
	counts, err := storecopy.Copy(t.Context(), src, dst, storecopy.Options{})
	require.Error(t, err)
	assert.Equal(t, hookd.ECONFLICT, hookd.ErrorCode(err))
	assert.Contains(t, err.Error(), "events (source 3, copied 2, target 2)")
	require.NotEmpty(t, counts, "the counts come with the error, to be shown")
}

func TestCopyRefusesTargetWithData(t *testing.T) {
	src := source(1)
	dst := &memStore{tenants: []string{hookd.DefaultTenant}, events: []string{"evt_old"}}
	_, err := storecopy.Copy(t.Context(), src, dst, storecopy.Options{})
	require.True(t, errors.Is(err, storecopy.ErrTargetNotEmpty), "%v", err)
	assert.Contains(t, err.Error(), "it holds events=1")
	assert.Zero(t, dst.imports, "nothing is written")

	_, err = storecopy.Copy(t.Context(), src, dst, storecopy.Options{Replace: true})
	require.NoError(t, err)
	assert.True(t, dst.cleared)
	assert.Equal(t, src.events, dst.events)
}
