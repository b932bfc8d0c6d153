package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"sync"
)

// vixEnt is an entry of the vix table: where a visitor's impression,
// click, sale or activity is (a row's rid, or a blob entry's).
type vixEnt struct {
	vid, time int64
	tbl       int
	rid       int64
}

// vixFlushAt is how many pending vix entries Write gathers before it
// writes them, sorted, in one go: a visitor's entries then land together.
const vixFlushAt = 1 << 17

// pending keeps the vix entries of committed events not written to vix
// yet, in memory; they are the rows after the marks in vix_mark, and Open
// finds them again from there. History reads them under mu; writers change
// them, after they commit, under the write mutex and mu.
type pending struct {
	mu   sync.RWMutex
	ents []vixEnt
}

// add adds es; the caller holds the write mutex.
func (p *pending) add(es ...vixEnt) {
	p.mu.Lock()
	p.ents = append(p.ents, es...)
	p.mu.Unlock()
}

// of returns the pending entries of the given visitors.
func (p *pending) of(vids map[int64]bool) []vixEnt {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []vixEnt
	for _, e := range p.ents {
		if vids[e.vid] {
			out = append(out, e)
		}
	}
	return out
}

// flush writes the pending entries, and extra, into vix as a run, a row
// per visitor, and moves the marks past them. The caller clears them
// (p.clear) once tx commits.
func (p *pending) flush(ctx context.Context, tx *sql.Tx, extra []vixEnt) error {
	p.mu.RLock()
	ents := append(slices.Clone(p.ents), extra...)
	p.mu.RUnlock()
	if len(ents) == 0 {
		return nil
	}
	return writeRun(ctx, tx, ents)
}

// writeRun writes ents into vix as one run and moves the marks past them.
func writeRun(ctx context.Context, tx *sql.Tx, ents []vixEnt) error {
	slices.SortFunc(ents, cmpVix)
	var run int64
	if err := tx.QueryRowContext(ctx, `UPDATE vix_mark SET rid = rid + 1 WHERE tbl = -1 RETURNING rid`).Scan(&run); err != nil {
		return err
	}
	var marks [nTables]int64
	var args []any
	for len(ents) > 0 {
		n := 1
		for n < len(ents) && ents[n].vid == ents[0].vid {
			n++
		}
		args = append(args, ents[0].vid, run, ents[0].time, encodeEnts(nil, ents[:n]))
		for _, e := range ents[:n] {
			marks[e.tbl] = max(marks[e.tbl], e.rid)
		}
		ents = ents[n:]
	}
	query := func(n int) string { return `INSERT INTO vix (vid, run, tmin, ents) VALUES ` + placeholders(n, 4) }
	if err := execRows(txExec(ctx, tx), query, 4, args, nil); err != nil {
		return err
	}
	for t, rid := range marks {
		if rid > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE vix_mark SET rid = max(rid, ?) WHERE tbl = ?`, rid, t); err != nil {
				return err
			}
		}
	}
	return nil
}

func cmpVix(a, b vixEnt) int {
	return cmp.Or(cmp.Compare(a.vid, b.vid), cmp.Compare(a.time, b.time), cmp.Compare(a.tbl, b.tbl), cmp.Compare(a.rid, b.rid))
}

// encodeEnts packs one visitor's entries, sorted by time: for each, the
// time (as a difference from the one before), the table and the rid.
func encodeEnts(b []byte, ents []vixEnt) []byte {
	var prev int64
	for _, e := range ents {
		b = binary.AppendVarint(b, e.time-prev)
		b = append(b, byte(e.tbl))
		b = binary.AppendUvarint(b, uint64(e.rid))
		prev = e.time
	}
	return b
}

// decodeEnts appends the entries of vid packed in b to out.
func decodeEnts(out []vixEnt, vid int64, b []byte) ([]vixEnt, error) {
	var t int64
	for len(b) > 0 {
		d, n := binary.Varint(b)
		if n <= 0 || len(b) < n+1 {
			return out, errBadVix
		}
		t += d
		tbl := int(b[n])
		if tbl >= nTables {
			return out, errBadVix
		}
		b = b[n+1:]
		rid, m := binary.Uvarint(b)
		if m <= 0 {
			return out, errBadVix
		}
		b = b[m:]
		out = append(out, vixEnt{vid: vid, time: t, tbl: tbl, rid: int64(rid)})
	}
	return out, nil
}

var errBadVix = errors.New("sqlite: corrupt vix entry")

// readVix returns the entries of vids written to vix.
func readVix(ctx context.Context, q querier, vids []int64) ([]vixEnt, error) {
	j, err := jsonArg(vids)
	if err != nil {
		return nil, err
	}
	var out []vixEnt
	err = eachRow(ctx, q, func(rows *sql.Rows) error {
		var vid int64
		var b []byte
		if err := rows.Scan(&vid, &b); err != nil {
			return err
		}
		out, err = decodeEnts(out, vid, b)
		return err
	}, `SELECT x.vid, x.ents FROM json_each(?) j CROSS JOIN vix x ON x.vid = j.value`, j)
	return out, err
}

// purgeVix drops the entries older than b.
func purgeVix(ctx context.Context, tx *sql.Tx, b int64) error {
	type row struct {
		vid, run int64
		ents     []vixEnt
	}
	var rows []row
	err := eachRow(ctx, tx, func(r *sql.Rows) error {
		var x row
		var blob []byte
		if err := r.Scan(&x.vid, &x.run, &blob); err != nil {
			return err
		}
		var err error
		x.ents, err = decodeEnts(nil, x.vid, blob)
		rows = append(rows, x)
		return err
	}, `SELECT vid, run, ents FROM vix WHERE tmin < ?`, b)
	if err != nil {
		return err
	}
	for _, x := range rows {
		keep := slices.DeleteFunc(x.ents, func(e vixEnt) bool { return e.time < b })
		if len(keep) == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM vix WHERE vid = ? AND run = ?`, x.vid, x.run)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE vix SET tmin = ?, ents = ? WHERE vid = ? AND run = ?`,
				keep[0].time, encodeEnts(nil, keep), x.vid, x.run)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// indexAll writes every row into vix as one run (migration to version 3,
// when the marks are 0).
func indexAll(ctx context.Context, tx *sql.Tx) error {
	ents, err := loadPending(ctx, tx)
	if err != nil || len(ents) == 0 {
		return err
	}
	return writeRun(ctx, tx, ents)
}

func (p *pending) clear() {
	p.mu.Lock()
	p.ents = p.ents[:0]
	p.mu.Unlock()
}

func (p *pending) len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.ents)
}

// vixTables are the tables vix indexes by visitor.
var vixTables = []int{tImps, tClicks, tSales, tActs}

// loadPending finds the rows after the marks: the entries vix lacks.
func loadPending(ctx context.Context, q querier) ([]vixEnt, error) {
	var out []vixEnt
	for _, t := range vixTables {
		var mark int64
		if err := queryRow(ctx, q, `SELECT coalesce((SELECT rid FROM vix_mark WHERE tbl = `+strconv.Itoa(t)+`), 0)`, &mark); err != nil {
			return nil, err
		}
		if t == tImps || t == tActs {
			ents, err := loadBlobEnts(ctx, q, t, mark>>16)
			if err != nil {
				return nil, err
			}
			out = append(out, ents...)
			continue
		}
		err := eachRow(ctx, q, func(rows *sql.Rows) error {
			e := vixEnt{tbl: t}
			if err := rows.Scan(&e.vid, &e.time, &e.rid); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		}, `SELECT vid, time, rid FROM `+tableNames[t]+` WHERE rid > ? AND vid <> 0`, mark)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
