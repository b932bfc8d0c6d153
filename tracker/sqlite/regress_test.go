package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

// Regression tests for what a review of the arrival-order layout found.

var rt0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func rev(id, visitor string, k tracker.Kind, at time.Time) tracker.Event {
	return tracker.Event{ID: id, Store: "shop", Visitor: visitor, Kind: k, Time: at}
}

func filesOf(t *testing.T, path string) []byte {
	var all []byte
	for _, f := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(path + f)
		if err == nil {
			all = append(all, b...)
		}
	}
	return all
}

// A link's time is kept to the hour; Purge must not take a link whose
// visitor was seen again after the cut, or Forget could not find it.
func TestPurgeKeepsLinkSeenAfterCut(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	const email = "purged.link@example.com"
	e1 := rev("e1", "vis-purged-link", tracker.KindEmail, rt0)
	e1.Email = email
	e2 := rev("e2", "vis-purged-link", tracker.KindEmail, rt0.Add(50*time.Minute))
	e2.Email = email
	require.NoError(t, s.Write(ctx, []tracker.Event{e1}))
	require.NoError(t, s.Write(ctx, []tracker.Event{e2}))
	n, err := s.Purge(ctx, rt0.Add(30*time.Minute))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	require.NoError(t, s.Forget(ctx, "shop", email))
	require.NoError(t, s.Close())
	raw := filesOf(t, path)
	assert.False(t, bytes.Contains(raw, []byte(email)), "the email is left in the files")
	assert.False(t, bytes.Contains(raw, []byte("vis-purged-link")), "the visitor ID is left in the files")
}

// What Write resolves does not depend on whether the store was reopened
// (or a write failed and the index was rebuilt) in between.
func TestResolutionDoesNotDependOnRestarts(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	type step func(w func(...tracker.Event), s **Store)
	scenarios := map[string][]step{
		// Old sale, group grows much later: the sale's window is before
		// the index's cut, so it keeps its credit either way.
		"late link": {
			func(w func(...tracker.Event), _ **Store) {
				c := rev("c1", "v1", tracker.KindClick, rt0)
				c.Product, c.Labels = "p", []string{"L"}
				x := rev("s1", "v2", tracker.KindSale, rt0.Add(day))
				x.Sale, x.Lines = "o1", []tracker.Line{{ID: "p", Price: 10, Quantity: 1}}
				w(c, x)
				for i, d := range []time.Duration{37 * day, 42 * day} {
					f := rev("f"+string(rune('0'+i)), "v9", tracker.KindClick, rt0.Add(d))
					f.Product, f.Labels = "q", []string{"M"}
					w(f)
				}
			},
			nil, // restart here, or not
			func(w func(...tracker.Event), _ **Store) {
				e1 := rev("e1", "v1", tracker.KindEmail, rt0.Add(42*day))
				e1.Email = "x@example.com"
				e2 := rev("e2", "v2", tracker.KindEmail, rt0.Add(42*day))
				e2.Email = "x@example.com"
				w(e1, e2)
			},
		},
		// A sale credited by a click that Purge took keeps the credit.
		"after purge": {
			func(w func(...tracker.Event), s **Store) {
				i := rev("i1", "v1", tracker.KindImpression, rt0)
				i.Labels, i.Products = []string{"L"}, []string{"p"}
				c := rev("c1", "v1", tracker.KindClick, rt0.Add(time.Minute))
				c.Product = "p"
				x := rev("s1", "v1", tracker.KindSale, rt0.Add(day))
				x.Sale, x.Lines = "o1", []tracker.Line{{ID: "p", Price: 10, Quantity: 1}}
				w(i, c, x)
				_, err := (*s).Purge(t.Context(), rt0.Add(12*time.Hour))
				require.NoError(t, err)
			},
			nil,
			func(w func(...tracker.Event), _ **Store) {
				e1 := rev("e1", "v1", tracker.KindEmail, rt0.Add(2*day))
				e1.Email = "y@example.com"
				e3 := rev("e3", "v3", tracker.KindEmail, rt0.Add(2*day))
				e3.Email = "y@example.com"
				w(e1, e3)
			},
		},
	}
	for name, steps := range scenarios {
		t.Run(name, func(t *testing.T) {
			run := func(restart string) tracker.Report {
				ctx := t.Context()
				path := filepath.Join(t.TempDir(), "v.db")
				s, err := Open(ctx, path)
				require.NoError(t, err)
				w := func(evs ...tracker.Event) { require.NoError(t, s.Write(ctx, evs)) }
				for _, st := range steps {
					if st != nil {
						st(w, &s)
						continue
					}
					switch restart {
					case "reopen":
						require.NoError(t, s.Close())
						s, err = Open(ctx, path)
						require.NoError(t, err)
					case "failed write":
						restore := s.FailWrites(context.Canceled)
						v := rev("fail", "v8", tracker.KindView, rt0)
						v.Product = "p"
						require.Error(t, s.Write(ctx, []tracker.Event{v}))
						restore()
					}
				}
				defer s.Close()
				rep, err := s.Report(ctx, "shop", rt0.Add(-day), rt0.Add(3*day))
				require.NoError(t, err)
				return rep
			}
			want := run("")
			assert.Equal(t, want, run("reopen"))
			assert.Equal(t, want, run("failed write"))
		})
	}
}

// A vix entry naming a table that does not exist is an error, not a panic,
// and the store stays usable.
func TestCorruptVixIsAnError(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "v.db"), WithVixFlushAt(1))
	require.NoError(t, err)
	e := rev("e1", "v1", tracker.KindEmail, rt0)
	e.Email = "a@example.com"
	require.NoError(t, s.Write(ctx, []tracker.Event{e}))
	_, err = s.w.Exec(`UPDATE vix SET ents = x'0009' || ents`)
	require.NoError(t, err)
	require.ErrorIs(t, s.Forget(ctx, "shop", "a@example.com"), errBadVix)
	v := rev("v2", "v2", tracker.KindView, rt0)
	v.Product = "p"
	require.NoError(t, s.Write(ctx, []tracker.Event{v}), "the writer connection is free again")
	require.NoError(t, s.Close())
}

// A rolled-back write's vix entries never become pending, so History
// cannot read its rids; and History keeps only the visitor's own entries
// anyway, should a rid it read in one snapshot be someone else's in the
// next.
func TestHistoryIgnoresStaleRids(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	require.NoError(t, err)
	defer s.Close()
	a := rev("va", "alice", tracker.KindView, rt0)
	a.Product = "pa"
	require.NoError(t, s.Write(ctx, []tracker.Event{a}))
	before := s.pend.len()
	restore := s.FailWrites(context.Canceled)
	c := rev("ca", "alice", tracker.KindClick, rt0.Add(time.Second))
	c.Product = "alice-product"
	require.Error(t, s.Write(ctx, []tracker.Event{c}))
	restore()
	require.Equal(t, before, s.pend.len(), "a failed write's entries are pending")

	b := rev("cb", "bob", tracker.KindClick, rt0.Add(2*time.Second))
	b.Product = "bob-product"
	bv := rev("vb", "bob", tracker.KindView, rt0.Add(2*time.Second))
	bv.Product = "bob-view"
	require.NoError(t, s.Write(ctx, []tracker.Event{b, bv}))
	alice := s.pend.ents[0].vid
	var stale []vixEnt
	for _, e := range s.pend.ents {
		if e.vid != alice {
			e.vid = alice // bob's rids, as alice's
			stale = append(stale, e)
		}
	}
	require.Len(t, stale, 2)
	s.pend.add(stale...)
	h, err := s.History(ctx, "shop", "alice", 0)
	require.NoError(t, err)
	require.Len(t, h, 1)
	assert.Equal(t, "pa", h[0].Product)
}

// Purge rewrites blobs a page at a time; every page is done.
func TestPurgeManyBlobs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	require.NoError(t, err)
	defer s.Close()
	const n = 600 // blobs: one per write
	for i := range n {
		v := rev("v"+time.Duration(i).String(), "v", tracker.KindView, rt0.Add(time.Duration(i)*time.Second))
		v.Product = "p"
		require.NoError(t, s.Write(ctx, []tracker.Event{v}))
	}
	got, err := s.Purge(ctx, rt0.Add(500*time.Second))
	require.NoError(t, err)
	assert.EqualValues(t, 500, got)
	var blobs int
	require.NoError(t, s.w.QueryRow(`SELECT count(*) FROM blobs`).Scan(&blobs))
	assert.Equal(t, 100, blobs)
	h, err := s.History(ctx, "shop", "v", 0)
	require.NoError(t, err)
	assert.Len(t, h, 100)
}

// Impressions and activity share one namespace of event IDs (as the Sink
// contract has it): a second event with an ID already used is ignored,
// in the same batch or a later one, whatever its kind.
func TestOneIDNamespaceForImpressionsAndActivity(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	require.NoError(t, err)
	defer s.Close()
	i := rev("same", "v", tracker.KindImpression, rt0)
	i.Labels, i.Products = []string{"Home"}, []string{"p1"}
	v := rev("same", "v", tracker.KindView, rt0.Add(time.Second))
	v.Product = "p9"
	require.NoError(t, s.Write(ctx, []tracker.Event{i, v}))
	require.NoError(t, s.Write(ctx, []tracker.Event{v}))
	h, err := s.History(ctx, "shop", "v", 0)
	require.NoError(t, err)
	assert.Empty(t, h, "the view reused the impression's ID")
	rep, err := s.Report(ctx, "shop", rt0, rt0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, rep.Labels, 1)
	assert.Equal(t, 1, rep.Labels[0].Calls)
}

// History runs while writes move pending entries into vix runs: what a
// visitor did never disappears from it, and nothing fails.
func TestHistoryDuringRuns(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "v.db"), WithVixFlushAt(50))
	require.NoError(t, err)
	defer s.Close()
	done := make(chan error, 1)
	go func() {
		defer close(done)
		for i := range 150 {
			var evs []tracker.Event
			for k := range 10 {
				v := rev(fmt.Sprintf("e%d-%d", i, k), fmt.Sprintf("v%d", k%3), tracker.KindView, rt0.Add(time.Duration(i*10+k)*time.Second))
				v.Product = "p"
				evs = append(evs, v)
			}
			if err := s.Write(ctx, evs); err != nil {
				done <- err
				return
			}
		}
	}()
	last := 0
	for running := true; running; {
		select {
		case err, ok := <-done:
			require.NoError(t, err)
			running = ok
		default:
		}
		h, err := s.History(ctx, "shop", "v0", 0)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(h), last, "history lost entries")
		last = len(h)
	}
	h, err := s.History(ctx, "shop", "v0", 0)
	require.NoError(t, err)
	assert.Len(t, h, 150*4) // k = 0, 3, 6, 9
}

// A write larger than a blob spreads over several blobs.
func TestWriteSpansBlobs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	require.NoError(t, err)
	defer s.Close()
	const n = 2*perBlob + 17
	evs := make([]tracker.Event, n)
	for i := range evs {
		evs[i] = rev(fmt.Sprintf("i%d", i), fmt.Sprintf("v%d", i%7), tracker.KindImpression, rt0.Add(time.Duration(i)*time.Millisecond))
		evs[i].Labels, evs[i].Products = []string{"Home"}, []string{"p1"}
	}
	require.NoError(t, s.Write(ctx, evs))
	var blobs int
	require.NoError(t, s.w.QueryRow(`SELECT count(*) FROM blobs`).Scan(&blobs))
	assert.Equal(t, 3, blobs)
	rep, err := s.Report(ctx, "shop", rt0.Add(-time.Hour), rt0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, rep.Labels, 1)
	assert.Equal(t, n, rep.Labels[0].Calls)
	c := rev("c", "v3", tracker.KindClick, rt0.Add(time.Minute))
	c.Product = "p1"
	require.NoError(t, s.Write(ctx, []tracker.Event{c}))
	rep, err = s.Report(ctx, "shop", rt0.Add(-time.Hour), rt0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Labels[0].Clicks, "backtracked to an impression in the last blob")
}
