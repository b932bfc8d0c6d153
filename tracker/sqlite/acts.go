package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
)

// Activity (product and category views, searches, email links) is about
// half of all events and never affects attribution, so it is not stored a
// row per event: a write packs its activity into blobs of up to actsPerBlob
// entries (act_blobs), and keeps the event IDs in act_ids, for
// idempotency. An activity's rid is its blob's bid << 16 | its index in the
// blob; vix finds a visitor's activity by it, as it finds rows.
//
// A blob is a uvarint count n, n little-endian uint32 offsets of the
// entries (from the end of the offsets), then the entries: uvarint length
// and bytes of the ID, uvarint vid, varint time, kind byte, uvarint length
// and bytes of the value. Forget erases an entry in place (vid 0, no value)
// and Purge leaves a tombstone (no ID), so that indexes never move.
const actsPerBlob = 4096

type actEnt struct {
	id    string
	vid   int64
	time  int64
	kind  int
	value string
}

func (e *actEnt) tomb() bool { return e.id == "" }

func actRid(bid int64, i int) int64 { return bid<<16 | int64(i) }

func splitRid(rid int64) (bid int64, i int) { return rid >> 16, int(rid & 0xffff) }

func encodeActs(ents []actEnt) []byte {
	var body []byte
	offs := make([]uint32, len(ents))
	for i, e := range ents {
		offs[i] = uint32(len(body))
		body = binary.AppendUvarint(body, uint64(len(e.id)))
		body = append(body, e.id...)
		body = binary.AppendUvarint(body, uint64(e.vid))
		body = binary.AppendVarint(body, e.time)
		body = append(body, byte(e.kind))
		body = binary.AppendUvarint(body, uint64(len(e.value)))
		body = append(body, e.value...)
	}
	b := binary.AppendUvarint(make([]byte, 0, 10+4*len(ents)+len(body)), uint64(len(ents)))
	for _, o := range offs {
		b = binary.LittleEndian.AppendUint32(b, o)
	}
	return append(b, body...)
}

var errBadActs = errors.New("sqlite: corrupt activity blob")

// actHeader returns the number of entries of b, their offsets and body.
func actHeader(b []byte) (int, []byte, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > actsPerBlob || uint64(len(b)-k) < 4*n {
		return 0, nil, nil, errBadActs
	}
	return int(n), b[k : k+4*int(n)], b[k+4*int(n):], nil
}

func decodeActAt(offs, body []byte, i int) (actEnt, error) {
	var e actEnt
	o := int(binary.LittleEndian.Uint32(offs[4*i:]))
	if o > len(body) {
		return e, errBadActs
	}
	b := body[o:]
	str := func() (string, bool) {
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return "", false
		}
		s := string(b[k : k+int(l)])
		b = b[k+int(l):]
		return s, true
	}
	var ok bool
	if e.id, ok = str(); !ok {
		return e, errBadActs
	}
	vid, k := binary.Uvarint(b)
	if k <= 0 {
		return e, errBadActs
	}
	b = b[k:]
	t, k := binary.Varint(b)
	if k <= 0 || len(b) < k+1 {
		return e, errBadActs
	}
	e.vid, e.time, e.kind = int64(vid), t, int(b[k])
	b = b[k+1:]
	if e.value, ok = str(); !ok {
		return e, errBadActs
	}
	return e, nil
}

// decodeActs returns every entry of b.
func decodeActs(b []byte) ([]actEnt, error) {
	n, offs, body, err := actHeader(b)
	if err != nil {
		return nil, err
	}
	out := make([]actEnt, n)
	for i := range out {
		if out[i], err = decodeActAt(offs, body, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// insertActs stores activity rows: their IDs, then their blobs; each row
// gets its rid.
func (w *writeTx) insertActs(sid int64, rows []*eventRow) error {
	if len(rows) == 0 {
		return nil
	}
	args := make([]any, 0, insertSizes[0])
	for rest := rows; len(rest) > 0; {
		n := 1
		for _, size := range insertSizes {
			if len(rest) >= size {
				n = size
				break
			}
		}
		args = args[:0]
		for _, r := range rest[:n] {
			args = append(args, r.id)
		}
		q := `INSERT INTO act_ids (id) VALUES (?)` + strings.Repeat(", (?)", n-1)
		if _, err := w.exec(q, args...); err != nil {
			return err
		}
		rest = rest[n:]
	}
	for chunk := range slices.Chunk(rows, actsPerBlob) {
		ents := make([]actEnt, len(chunk))
		tmin, tmax := chunk[0].time, chunk[0].time
		for i, r := range chunk {
			ents[i] = actEnt{id: r.id, vid: r.vid, time: r.time, kind: r.kind, value: r.actValue().String}
			tmin, tmax = min(tmin, r.time), max(tmax, r.time)
		}
		res, err := w.exec(`INSERT INTO act_blobs (sid, tmin, tmax, data) VALUES (?, ?, ?, ?)`, sid, tmin, tmax, encodeActs(ents))
		if err != nil {
			return err
		}
		bid, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for i, r := range chunk {
			r.rid = actRid(bid, i)
		}
	}
	return nil
}

// readActs returns the activity entries at rids, by rid.
func readActs(ctx context.Context, q querier, rids []int64) (map[int64]actEnt, error) {
	want := make(map[int64][]int)
	var bids []int64
	for _, rid := range rids {
		bid, i := splitRid(rid)
		if _, ok := want[bid]; !ok {
			bids = append(bids, bid)
		}
		want[bid] = append(want[bid], i)
	}
	out := make(map[int64]actEnt, len(rids))
	if len(bids) == 0 {
		return out, nil
	}
	j, err := jsonArg(bids)
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, q, func(rows *sql.Rows) error {
		var bid int64
		var b []byte
		if err := rows.Scan(&bid, &b); err != nil {
			return err
		}
		n, offs, body, err := actHeader(b)
		if err != nil {
			return err
		}
		for _, i := range want[bid] {
			if i >= n {
				return errBadActs
			}
			e, err := decodeActAt(offs, body, i)
			if err != nil {
				return err
			}
			out[actRid(bid, i)] = e
		}
		return nil
	}, `SELECT b.bid, b.data FROM json_each(?) j CROSS JOIN act_blobs b ON b.bid = j.value`, j)
	return out, err
}

// rewriteActs applies f to every live entry (with its rid) of the blobs
// that the WHERE clause where picks, writes back the blobs f changed (it
// reports a change), and deletes those left with tombstones only.
func rewriteActs(ctx context.Context, tx *sql.Tx, where string, args []any, f func(rid int64, e *actEnt) bool) error {
	type blob struct {
		bid  int64
		ents []actEnt
	}
	var blobs []blob
	err := eachRow(ctx, tx, func(rows *sql.Rows) error {
		var x blob
		var b []byte
		if err := rows.Scan(&x.bid, &b); err != nil {
			return err
		}
		var err error
		x.ents, err = decodeActs(b)
		blobs = append(blobs, x)
		return err
	}, `SELECT bid, data FROM act_blobs WHERE `+where, args...)
	if err != nil {
		return err
	}
	for _, x := range blobs {
		changed, live := false, false
		tmin, tmax := int64(0), int64(0)
		for i := range x.ents {
			e := &x.ents[i]
			if !e.tomb() && f(actRid(x.bid, i), e) {
				changed = true
			}
			if !e.tomb() {
				if !live {
					tmin, tmax = e.time, e.time
				}
				live = true
				tmin, tmax = min(tmin, e.time), max(tmax, e.time)
			}
		}
		switch {
		case !live:
			_, err = tx.ExecContext(ctx, `DELETE FROM act_blobs WHERE bid = ?`, x.bid)
		case changed:
			_, err = tx.ExecContext(ctx, `UPDATE act_blobs SET tmin = ?, tmax = ?, data = ? WHERE bid = ?`,
				tmin, tmax, encodeActs(x.ents), x.bid)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// eraseActs erases the activity at rids: no visitor, no value.
func eraseActs(ctx context.Context, tx *sql.Tx, rids []int64) error {
	if len(rids) == 0 {
		return nil
	}
	set := make(map[int64]bool, len(rids))
	var bids []int64
	for _, rid := range rids {
		set[rid] = true
		bid, _ := splitRid(rid)
		bids = append(bids, bid)
	}
	slices.Sort(bids)
	j, err := jsonArg(slices.Compact(bids))
	if err != nil {
		return err
	}
	return rewriteActs(ctx, tx, `bid IN (SELECT value FROM json_each(?))`, []any{j}, func(rid int64, e *actEnt) bool {
		if !set[rid] {
			return false
		}
		e.vid, e.value = 0, ""
		return true
	})
}

// purgeActs turns the activity older than b into tombstones, deletes its
// IDs and returns how many there were.
func purgeActs(ctx context.Context, tx *sql.Tx, b int64) (int64, error) {
	var ids []string
	err := rewriteActs(ctx, tx, `tmin < ?`, []any{b}, func(_ int64, e *actEnt) bool {
		if e.time >= b {
			return false
		}
		ids = append(ids, e.id)
		*e = actEnt{}
		return true
	})
	if err != nil {
		return 0, err
	}
	for chunk := range slices.Chunk(ids, 500) {
		j, err := jsonArg(chunk)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM act_ids WHERE id IN (SELECT value FROM json_each(?))`, j); err != nil {
			return 0, err
		}
	}
	return int64(len(ids)), nil
}

// loadActEnts returns the vix entries of the activity in blobs after bid.
func loadActEnts(ctx context.Context, q querier, after int64) ([]vixEnt, error) {
	var out []vixEnt
	err := eachRow(ctx, q, func(rows *sql.Rows) error {
		var bid int64
		var b []byte
		if err := rows.Scan(&bid, &b); err != nil {
			return err
		}
		ents, err := decodeActs(b)
		if err != nil {
			return err
		}
		for i, e := range ents {
			if !e.tomb() && e.vid != 0 {
				out = append(out, vixEnt{vid: e.vid, time: e.time, tbl: tActs, rid: actRid(bid, i)})
			}
		}
		return nil
	}, `SELECT bid, data FROM act_blobs WHERE bid > ? ORDER BY bid`, after)
	return out, err
}

// packActs moves the rows of the acts table into blobs and drops it
// (migration to version 3).
func packActs(ctx context.Context, tx *sql.Tx) error {
	var sids []int64
	if err := eachRow(ctx, tx, func(rows *sql.Rows) error {
		var sid int64
		err := rows.Scan(&sid)
		sids = append(sids, sid)
		return err
	}, `SELECT DISTINCT sid FROM acts`); err != nil {
		return err
	}
	for _, sid := range sids {
		var ents []actEnt
		err := eachRow(ctx, tx, func(rows *sql.Rows) error {
			var e actEnt
			var v sql.NullString
			if err := rows.Scan(&e.id, &e.vid, &e.time, &e.kind, &v); err != nil {
				return err
			}
			e.value = v.String
			ents = append(ents, e)
			return nil
		}, `SELECT id, vid, time, kind, value FROM acts WHERE sid = ? ORDER BY time, id`, sid)
		if err != nil {
			return err
		}
		for chunk := range slices.Chunk(ents, actsPerBlob) {
			tmin, tmax := chunk[0].time, chunk[0].time
			for _, e := range chunk {
				tmin, tmax = min(tmin, e.time), max(tmax, e.time)
				if _, err := tx.ExecContext(ctx, `INSERT INTO act_ids (id) VALUES (?)`, e.id); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO act_blobs (sid, tmin, tmax, data) VALUES (?, ?, ?, ?)`,
				sid, tmin, tmax, encodeActs(chunk)); err != nil {
				return err
			}
		}
	}
	_, err := tx.ExecContext(ctx, `DROP TABLE acts`)
	return err
}
