package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
)

// stmts are the writer's statements, prepared once on its one connection.
// Multi-row statements are prepared for 1, 2, 4 … 64 rows; a batch of rows
// goes out in as few of those as add up to it. They run on the driver's
// connection directly (see wtx.exec).
type stmts struct {
	insEvents   multi
	insVisitors multi
	labelHours  multi
	storeHours  multi
	days        multi
	links       multi
	one         map[string]*sql.Stmt

	// The multi-row statements as the driver prepared them, on the driver
	// connection dc; guarded by Store.wmu, as every write is.
	dc       any
	bulk     map[*multi]map[int]driver.Stmt
	named    []driver.NamedValue
	replaced int // how many times the connection changed under them, for tests
}

// maxRows is the most rows one multi-row statement takes.
const maxRows = 64

// multi is a multi-row statement: head, then rows of cols placeholders,
// then tail.
type multi struct {
	head, tail string
	cols       int
}

func (m *multi) query(rows int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", m.cols), ",") + ")"
	return m.head + strings.TrimSuffix(strings.Repeat(row+",", rows), ",") + m.tail
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
	st.insEvents = multi{head: `INSERT INTO events (rid, sid, eid, kind, t, vid, prev_c, pmax_c, prev_a, pmax_a, item, ls, detail, credit, counted) VALUES `, cols: eventCols}
	st.insVisitors = multi{head: `INSERT INTO visitors (vid, sid, xid, gid) VALUES `, cols: 4}
	st.labelHours = multi{head: `INSERT INTO label_hours (sid, hour, lid, calls, impressions, clicks, orders, revenue) VALUES `, cols: 8,
		tail: ` ON CONFLICT (sid, hour, lid) DO UPDATE SET calls = calls + excluded.calls, impressions = impressions + excluded.impressions,
		clicks = clicks + excluded.clicks, orders = orders + excluded.orders, revenue = revenue + excluded.revenue`}
	st.storeHours = multi{head: `INSERT INTO store_hours (sid, hour, calls, impressions, clicks, orders, revenue, impacted, impacted_revenue) VALUES `, cols: 9,
		tail: ` ON CONFLICT (sid, hour) DO UPDATE SET calls = calls + excluded.calls, impressions = impressions + excluded.impressions,
		clicks = clicks + excluded.clicks, orders = orders + excluded.orders, revenue = revenue + excluded.revenue,
		impacted = impacted + excluded.impacted, impacted_revenue = impacted_revenue + excluded.impacted_revenue`}
	st.days = multi{head: `INSERT INTO visitor_days (sid, day, rid, vid) VALUES `, cols: 4}
	st.links = multi{head: `INSERT INTO links (iid, vid, last) VALUES `, cols: 3, tail: ` ON CONFLICT (iid, vid) DO UPDATE SET last = max(last, excluded.last)`}
	var err error
	for _, q := range singles {
		if st.one[q], err = db.PrepareContext(ctx, q); err != nil {
			break
		}
	}
	if err == nil {
		// The multi-row statements now, on the one connection there is, so
		// that a mistake in them shows at Open.
		var conn *sql.Conn
		if conn, err = db.Conn(ctx); err == nil {
			err = conn.Raw(func(dc any) error { return st.prepareBulk(ctx, dc) })
			conn.Close()
		}
	}
	if err != nil {
		st.close(db)
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return st, nil
}

// prepareBulk prepares the multi-row statements on the driver connection dc
// unless they are prepared on it already. The writer's pool keeps its one
// connection for good, but should database/sql replace it, the statements
// follow. Those of the connection it closed cannot be closed any more (the
// driver finalizes a statement through its connection) and are left to it.
func (st *stmts) prepareBulk(ctx context.Context, dc any) error {
	if st.bulk != nil && st.dc == dc {
		return nil
	}
	if st.bulk != nil {
		st.replaced++
	}
	p, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return errors.New("the driver cannot prepare statements with a context")
	}
	st.dc, st.bulk = dc, make(map[*multi]map[int]driver.Stmt)
	for _, m := range []*multi{&st.insEvents, &st.insVisitors, &st.labelHours, &st.storeHours, &st.days, &st.links} {
		st.bulk[m] = make(map[int]driver.Stmt)
		for n := 1; n <= maxRows; n *= 2 {
			ds, err := p.PrepareContext(ctx, m.query(n))
			if err != nil {
				st.closeBulk()
				return err
			}
			st.bulk[m][n] = ds
			if _, ok := ds.(driver.StmtExecContext); !ok {
				st.closeBulk()
				return errors.New("the driver cannot execute statements with a context")
			}
		}
	}
	return nil
}

// closeBulk closes the multi-row statements. The caller holds the driver
// connection they were prepared on.
func (st *stmts) closeBulk() error {
	var errs []error
	for _, bySize := range st.bulk {
		for _, ds := range bySize {
			errs = append(errs, ds.Close())
		}
	}
	st.dc, st.bulk = nil, nil
	return errors.Join(errs...)
}

// wtx is a write transaction on the writer's one connection.
type wtx struct {
	*sql.Tx
	conn *sql.Conn
	st   *stmts
}

// begin starts a write transaction; Commit or Rollback ends it.
func (s *Store) begin(ctx context.Context) (*wtx, error) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &wtx{Tx: tx, conn: conn, st: s.st}, nil
}

// Commit commits the transaction and gives the connection back.
func (t *wtx) Commit() error {
	err := t.Tx.Commit()
	t.conn.Close()
	return err
}

// Rollback rolls the transaction back, unless it ended already, and gives
// the connection back.
func (t *wtx) Rollback() error {
	err := t.Tx.Rollback()
	t.conn.Close() // ErrConnDone once given back: nothing to do
	return err
}

// exec runs rows (m.cols values each, flattened) through the fewest
// multi-row statements that add up to them. They go to the driver
// directly: database/sql would copy and convert each of the thousands of
// values of a batch on every call: writes take 2–5% less time this way.
func (t *wtx) exec(ctx context.Context, m *multi, args []any) error {
	if len(args) == 0 {
		return nil
	}
	return t.conn.Raw(func(dc any) error {
		if err := t.st.prepareBulk(ctx, dc); err != nil {
			return err
		}
		n := len(args) / m.cols
		for n > 0 {
			size := maxRows
			for size > n {
				size /= 2
			}
			named, err := t.st.namedValues(args[:size*m.cols])
			if err != nil {
				return err
			}
			_, err = t.st.bulk[m][size].(driver.StmtExecContext).ExecContext(ctx, named)
			clear(named) // the driver copied them: keep no batch's values, emails included, alive
			if err != nil {
				return err
			}
			args, n = args[size*m.cols:], n-size
		}
		return nil
	})
}

// namedValues returns args as the driver takes them, in a slice it reuses.
// The values rows are made of pass as they are; the rest convert as
// database/sql would convert them.
func (st *stmts) namedValues(args []any) ([]driver.NamedValue, error) {
	if cap(st.named) < len(args) {
		st.named = make([]driver.NamedValue, len(args))
	}
	named := st.named[:len(args)]
	for i, a := range args {
		switch v := a.(type) {
		case nil, int64, string, float64, []byte:
		case int:
			a = int64(v)
		default:
			var err error
			if a, err = driver.DefaultParameterConverter.ConvertValue(a); err != nil {
				return nil, fmt.Errorf("argument %d: %w", i+1, err)
			}
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return named, nil
}

func (st *stmts) close(db *sql.DB) error {
	var errs []error
	for _, s := range st.one {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	if st.bulk != nil {
		conn, err := db.Conn(context.Background())
		if err == nil {
			err = conn.Raw(func(dc any) error {
				if dc != st.dc {
					st.dc, st.bulk = nil, nil // gone with their connection
					return nil
				}
				return st.closeBulk()
			})
			conn.Close()
		}
		errs = append(errs, err)
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
