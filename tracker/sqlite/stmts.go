package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// stmts are the writer's statements, prepared once at Open on its one
// connection. Multi-row statements are prepared for 1, 2, 4 … 64 rows; a
// batch of rows goes out in as few of those as add up to it.
type stmts struct {
	insEvents   multi
	insVisitors multi
	labelHours  multi
	storeHours  multi
	days        multi
	links       multi
	one         map[string]*sql.Stmt
}

// maxRows is the most rows one multi-row statement takes.
const maxRows = 64

type multi struct {
	cols   int
	bySize map[int]*sql.Stmt
}

// Single statements, by name.
const (
	qKnownIDs = `SELECT eid FROM events WHERE sid = ? AND eid IN (SELECT value FROM json_each(?))`
	qVisitors = `SELECT vid, sid, xid, gid, last_c, pmax_c, last_a, pmax_a, day FROM visitors
		WHERE sid = ? AND xid IN (SELECT value FROM json_each(?))`
	qVisitorsByVid = `SELECT vid, sid, xid, gid, last_c, pmax_c, last_a, pmax_a, day FROM visitors
		WHERE vid IN (SELECT value FROM json_each(?))`
	qMembers = `SELECT vid FROM visitors WHERE gid = ?`
	qRow     = `SELECT eid, kind, t, vid, prev_c, pmax_c, item, ls, detail, credit, counted FROM events WHERE rid = ?`
	qCopies  = `SELECT rid, eid, t, vid, item, detail, credit FROM events
		WHERE sid = ? AND kind = 3 AND counted = 1 AND item IN (SELECT value FROM json_each(?))`
	qSetClick     = `UPDATE events SET ls = ?, detail = json_set(coalesce(detail, '{}'), '$.ft', ?, '$.fid', ?) WHERE rid = ?`
	qSetSale      = `UPDATE events SET credit = ?, counted = ? WHERE rid = ?`
	qIdentities   = `SELECT iid, key, visitors FROM identities WHERE sid = ? AND key IN (SELECT value FROM json_each(?))`
	qAddIdentity  = `INSERT INTO identities (iid, sid, key, visitors) VALUES (?, ?, ?, ?)`
	qSetIdentity  = `UPDATE identities SET visitors = ? WHERE iid = ?`
	qKnownLinks   = `SELECT iid, vid FROM links WHERE (iid, vid) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))`
	qLinkVisitors = `SELECT vid FROM links WHERE iid = ?`
	qVisitorLinks = `SELECT iid, vid FROM links WHERE iid IN (SELECT iid FROM links WHERE vid IN (SELECT value FROM json_each(?)))`
	qSetGroup     = `UPDATE visitors SET gid = ? WHERE vid = ?`
	qLabelSets    = `SELECT ls, lids FROM labelsets WHERE sid = ? AND lids IN (SELECT value FROM json_each(?))`
	qLabelSet     = `SELECT lids FROM labelsets WHERE ls = ?`
	qAddLabelSet  = `INSERT INTO labelsets (ls, sid, lids) VALUES (?, ?, ?)`
	qLabels       = `SELECT lid, name FROM labels WHERE sid = ? AND name IN (SELECT value FROM json_each(?))`
	qAddLabel     = `INSERT INTO labels (lid, sid, name) VALUES (?, ?, ?)`
	qSetMeta      = `UPDATE meta SET value = ? WHERE name = ?`
	qSetHeads     = `UPDATE visitors SET last_c = value ->> 1, pmax_c = value ->> 2, last_a = value ->> 3, pmax_a = value ->> 4,
		day = value ->> 5 FROM json_each(?) WHERE vid = value ->> 0`
)

var singles = []string{qKnownIDs, qVisitors, qVisitorsByVid, qMembers, qRow, qCopies, qSetClick, qSetSale,
	qIdentities, qAddIdentity, qSetIdentity, qKnownLinks, qLinkVisitors, qVisitorLinks, qSetGroup,
	qLabelSets, qLabelSet, qAddLabelSet, qLabels, qAddLabel, qSetMeta, qSetHeads}

func prepare(ctx context.Context, db *sql.DB) (*stmts, error) {
	st := &stmts{one: make(map[string]*sql.Stmt)}
	var err error
	mk := func(m *multi, head string, cols int, tail string) {
		m.cols, m.bySize = cols, make(map[int]*sql.Stmt)
		row := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
		for n := 1; n <= maxRows && err == nil; n *= 2 {
			q := head + strings.TrimSuffix(strings.Repeat(row+",", n), ",") + tail
			m.bySize[n], err = db.PrepareContext(ctx, q)
		}
	}
	mk(&st.insEvents, `INSERT INTO events (rid, sid, eid, kind, t, vid, prev_c, pmax_c, prev_a, pmax_a, item, ls, detail, credit, counted) VALUES `, 15, ``)
	mk(&st.insVisitors, `INSERT INTO visitors (vid, sid, xid, gid) VALUES `, 4, ``)
	mk(&st.labelHours, `INSERT INTO label_hours (sid, hour, lid, calls, impressions, clicks, orders, revenue) VALUES `, 8,
		` ON CONFLICT (sid, hour, lid) DO UPDATE SET calls = calls + excluded.calls, impressions = impressions + excluded.impressions,
		clicks = clicks + excluded.clicks, orders = orders + excluded.orders, revenue = revenue + excluded.revenue`)
	mk(&st.storeHours, `INSERT INTO store_hours (sid, hour, calls, impressions, clicks, orders, revenue, impacted, impacted_revenue) VALUES `, 9,
		` ON CONFLICT (sid, hour) DO UPDATE SET calls = calls + excluded.calls, impressions = impressions + excluded.impressions,
		clicks = clicks + excluded.clicks, orders = orders + excluded.orders, revenue = revenue + excluded.revenue,
		impacted = impacted + excluded.impacted, impacted_revenue = impacted_revenue + excluded.impacted_revenue`)
	mk(&st.days, `INSERT INTO visitor_days (sid, day, rid, vid) VALUES `, 4, ``)
	mk(&st.links, `INSERT INTO links (iid, vid, last) VALUES `, 3, ` ON CONFLICT (iid, vid) DO UPDATE SET last = max(last, excluded.last)`)
	for _, q := range singles {
		if err != nil {
			break
		}
		st.one[q], err = db.PrepareContext(ctx, q)
	}
	if err != nil {
		st.close()
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return st, nil
}

// exec runs rows (cols values each, flattened) through the fewest prepared
// statements that add up to them.
func (m *multi) exec(ctx context.Context, tx *sql.Tx, args []any) error {
	n := len(args) / m.cols
	for n > 0 {
		size := maxRows
		for size > n {
			size /= 2
		}
		if _, err := tx.StmtContext(ctx, m.bySize[size]).ExecContext(ctx, args[:size*m.cols]...); err != nil {
			return err
		}
		args, n = args[size*m.cols:], n-size
	}
	return nil
}

func (st *stmts) close() error {
	var errs []error
	for _, m := range []*multi{&st.insEvents, &st.insVisitors, &st.labelHours, &st.storeHours, &st.days, &st.links} {
		for _, s := range m.bySize {
			if s != nil {
				errs = append(errs, s.Close())
			}
		}
	}
	for _, s := range st.one {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// in returns the single statement q bound to tx.
func (st *stmts) in(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	return tx.StmtContext(ctx, st.one[q])
}

// readStmts are the statements History runs for every row it reads,
// prepared once on the read pool.
type readStmts struct {
	visitor     *sql.Stmt
	lastA       *sql.Stmt
	activityRow *sql.Stmt
}

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	var err error
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&r.visitor, `SELECT v.vid FROM visitors v JOIN stores s USING (sid) WHERE s.name = ? AND v.xid = ?`},
		{&r.lastA, `SELECT last_a FROM visitors WHERE vid = ?`},
		{&r.activityRow, `SELECT eid, kind, t, vid, prev_a, pmax_a, item FROM events WHERE rid = ?`},
	} {
		if *p.st, err = db.PrepareContext(ctx, p.q); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	return nil
}

func (r *readStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{r.visitor, r.lastA, r.activityRow} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
