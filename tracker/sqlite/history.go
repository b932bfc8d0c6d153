package sqlite

import (
	"container/heap"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// History returns up to limit entries of the visitor's own activity (clicks,
// product and category views, searches) in store, newest first; limit ≤ 0
// means all. It never includes the activity of visitors linked to this one
// (see CustomerHistory). It walks the visitor's activity chain from its
// newest row and stops as soon as the rest is older than what it found, so
// its cost grows with limit, not with everything the visitor ever did.
func (s *Store) History(ctx context.Context, store, visitor string, limit int) ([]tracker.Activity, error) {
	return storekit.History(ctx, s.closed, ErrClosed, "sqlite: history", []string{store, visitor}, limit, s.activity,
		func() ([]int64, error) {
			return storekit.One[int64](s.reads.visitor.QueryRowContext(ctx, store, visitor).Scan)
		})
}

// CustomerHistory returns up to limit entries of the activity of every
// visitor the shop has seen as customer (in a sale carrying that customer
// ID), newest first. Call it only for a customer the shop has verified
// itself, such as the one signed in; never with an ID taken from a form.
// Visitors linked to the customer only through an email address are not
// included.
func (s *Store) CustomerHistory(ctx context.Context, store, customer string, limit int) ([]tracker.Activity, error) {
	return storekit.History(ctx, s.closed, ErrClosed, "sqlite: customer history", []string{store, customer}, limit, s.activity,
		func() ([]int64, error) {
			rows, err := s.r.QueryContext(ctx, `SELECT l.vid FROM links l JOIN identities i USING (iid) JOIN stores s USING (sid)
				WHERE s.name = ? AND i.key = ?`, store, "c:"+strings.TrimSpace(customer))
			return collect(rows, err, scanOne[int64])
		})
}

// activity walks the activity chains of vids and returns their newest
// limit entries (all when limit ≤ 0), newest first.
func (s *Store) activity(ctx context.Context, vids []int64, limit int) ([]tracker.Activity, error) {
	heads, err := s.headsOf(ctx, vids)
	if err != nil {
		return nil, err
	}
	st := s.reads.activityRow
	h := &newest{limit: limit}
	for i, vid := range vids {
		for rid := heads[i].lastA; rid != 0; {
			var r eventRow
			err := st.QueryRowContext(ctx, rid).Scan(&r.eid, &r.kind, &r.t, &r.vid, &r.prev, &r.pmax, &r.item)
			if errors.Is(err, sql.ErrNoRows) {
				break // purged: the rest is older still
			}
			if err != nil {
				return nil, err
			}
			s.historyRows.Add(1)
			if r.vid.Int64 != vid || h.full() && r.pmax.Int64 < h.min().t {
				break // everything from here back is older than what we have
			}
			if r.live() {
				h.offer(r)
			}
			rid = r.prev.Int64
		}
	}
	rs := h.sorted()
	out := make([]tracker.Activity, len(rs))
	for i, r := range rs {
		out[i] = storekit.Activity(tracker.Kind(r.kind), r.t, r.item.String)
	}
	return out, nil
}

// headsOf returns the chain heads of vids: what the writer moved lately,
// else what the visitors table holds.
func (s *Store) headsOf(ctx context.Context, vids []int64) ([]chainHeads, error) {
	out := make([]chainHeads, len(vids))
	var missing []int
	s.hmu.RLock()
	for i, vid := range vids {
		if h, ok := s.heads[vid]; ok {
			out[i] = h
		} else {
			missing = append(missing, i)
		}
	}
	s.hmu.RUnlock()
	for _, i := range missing {
		var last sql.NullInt64
		if err := s.reads.lastA.QueryRowContext(ctx, vids[i]).Scan(&last); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		out[i].lastA = last.Int64
	}
	return out, nil
}

// newest keeps the newest rows offered to it, by time and then event ID:
// at most limit of them, or all when limit ≤ 0.
type newest struct {
	limit int
	rows  []eventRow // a min-heap when limited
}

func (h *newest) full() bool { return h.limit > 0 && len(h.rows) >= h.limit }

func (h *newest) min() eventRow { return h.rows[0] }

func (h *newest) offer(r eventRow) {
	if h.limit <= 0 {
		h.rows = append(h.rows, r)
		return
	}
	if len(h.rows) < h.limit {
		heap.Push(h, r)
		return
	}
	if older(h.rows[0], r) {
		h.rows[0] = r
		heap.Fix(h, 0)
	}
}

// older reports whether a comes before b.
func older(a, b eventRow) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	return a.eid < b.eid
}

func (h *newest) sorted() []eventRow {
	out := slices.Clone(h.rows)
	slices.SortFunc(out, func(a, b eventRow) int {
		if older(a, b) {
			return 1
		}
		if older(b, a) {
			return -1
		}
		return 0
	})
	return out
}

// heap.Interface, for the limited case.
func (h *newest) Len() int           { return len(h.rows) }
func (h *newest) Less(i, j int) bool { return older(h.rows[i], h.rows[j]) }
func (h *newest) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *newest) Push(x any)         { h.rows = append(h.rows, x.(eventRow)) }
func (h *newest) Pop() any {
	r := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return r
}

// Visitors returns the visitor IDs of store linked to email: those that
// used it, and everyone in their groups of linked visitors, sorted.
func (s *Store) Visitors(ctx context.Context, store, email string) ([]string, error) {
	return storekit.FindEmail(s.closed, ErrClosed, "sqlite: visitors", store, email, func(email string) ([]string, error) {
		rows, err := s.r.QueryContext(ctx, `SELECT xid FROM visitors WHERE gid IN (
				SELECT v.gid FROM links l JOIN identities i USING (iid) JOIN visitors v ON v.vid = l.vid JOIN stores s ON s.sid = i.sid
				WHERE s.name = ? AND i.key = ?)
			ORDER BY xid`, store, "e:"+email)
		return collect(rows, err, scanOne[string])
	})
}
