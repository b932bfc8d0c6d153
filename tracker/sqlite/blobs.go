package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"slices"
)

// Impressions and activity (product and category views, searches, email
// links) are more than three quarters of all events, and once written
// they do not change, so they are not stored a row per event: a write
// packs each kind into blobs of up to perBlob entries (table blobs, column
// tbl), and keeps the event IDs in ids (one namespace for both), for
// idempotency.
// An entry's rid is its blob's bid << 16 | its index in the blob; vix finds
// a visitor's entries by it, as it finds rows.
//
// A blob is a uvarint count n, n little-endian uint32 offsets of the
// entries (from the end of the offsets), then the entries: uvarint length
// and bytes of the ID, uvarint vid, varint time, kind byte, uvarint count
// of values and, for each, uvarint length and bytes. An impression's values
// are its API, labels and products (encoded lists); an activity's is its
// product, category, query or email. Forget erases an entry in place (vid
// 0, no values) and Purge leaves a tombstone (no ID), so that indexes never
// move.
const perBlob = 4096

type blobEnt struct {
	id   string
	vid  int64
	time int64
	kind int
	vals []string
}

func (e *blobEnt) tomb() bool { return e.id == "" }

// val is the i-th value, "" when there is none.
func (e *blobEnt) val(i int) string {
	if i < len(e.vals) {
		return e.vals[i]
	}
	return ""
}

// appendVals appends the values an entry keeps of a row.
func appendVals(vals []string, r *eventRow) []string {
	if r.kind == kindImpression {
		return append(vals, r.api.String, r.labels.String, r.products.String)
	}
	return append(vals, r.actValue().String)
}

func blobRid(bid int64, i int) int64 { return bid<<16 | int64(i) }

func splitRid(rid int64) (bid int64, i int) { return rid >> 16, int(rid & 0xffff) }

func encodeBlob(ents []blobEnt) []byte {
	var body []byte
	offs := make([]uint32, len(ents))
	for i, e := range ents {
		offs[i] = uint32(len(body))
		body = binary.AppendUvarint(body, uint64(len(e.id)))
		body = append(body, e.id...)
		body = binary.AppendUvarint(body, uint64(e.vid))
		body = binary.AppendVarint(body, e.time)
		body = append(body, byte(e.kind))
		body = binary.AppendUvarint(body, uint64(len(e.vals)))
		for _, v := range e.vals {
			body = binary.AppendUvarint(body, uint64(len(v)))
			body = append(body, v...)
		}
	}
	b := binary.AppendUvarint(make([]byte, 0, 10+4*len(ents)+len(body)), uint64(len(ents)))
	for _, o := range offs {
		b = binary.LittleEndian.AppendUint32(b, o)
	}
	return append(b, body...)
}

var errBadBlob = errors.New("sqlite: corrupt event blob")

// blobHeader returns the number of entries of b, their offsets and body.
func blobHeader(b []byte) (int, []byte, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > perBlob || uint64(len(b)-k) < 4*n {
		return 0, nil, nil, errBadBlob
	}
	return int(n), b[k : k+4*int(n)], b[k+4*int(n):], nil
}

func decodeBlobAt(offs, body []byte, i int) (blobEnt, error) {
	var e blobEnt
	o := int(binary.LittleEndian.Uint32(offs[4*i:]))
	if o > len(body) {
		return e, errBadBlob
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
		return e, errBadBlob
	}
	vid, k := binary.Uvarint(b)
	if k <= 0 {
		return e, errBadBlob
	}
	b = b[k:]
	t, k := binary.Varint(b)
	if k <= 0 || len(b) < k+1 {
		return e, errBadBlob
	}
	e.vid, e.time, e.kind = int64(vid), t, int(b[k])
	b = b[k+1:]
	nv, k := binary.Uvarint(b)
	if k <= 0 || nv > uint64(len(b)) {
		return e, errBadBlob
	}
	b = b[k:]
	if nv > 0 {
		e.vals = make([]string, nv)
	}
	for i := range e.vals {
		if e.vals[i], ok = str(); !ok {
			return e, errBadBlob
		}
	}
	return e, nil
}

// decodeBlob returns every entry of b.
func decodeBlob(b []byte) ([]blobEnt, error) {
	n, offs, body, err := blobHeader(b)
	if err != nil {
		return nil, err
	}
	out := make([]blobEnt, n)
	for i := range out {
		if out[i], err = decodeBlobAt(offs, body, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// insertBlobs stores rows of table t (tImps or tActs) in blobs (claimIDs
// stored their IDs); each row gets its rid.
func (w *writeTx) insertBlobs(sid int64, t int, rows []*eventRow) error {
	if len(rows) == 0 {
		return nil
	}
	for chunk := range slices.Chunk(rows, perBlob) {
		ents := make([]blobEnt, len(chunk))
		vals := make([]string, 0, 3*len(chunk)) // one array for all the entries' values
		for i, r := range chunk {
			n := len(vals)
			vals = appendVals(vals, r)
			ents[i] = blobEnt{id: r.id, vid: r.vid, time: r.time, kind: r.kind, vals: vals[n:len(vals):len(vals)]}
		}
		bid, err := insertBlob(w.exec, sid, t, ents)
		if err != nil {
			return err
		}
		for i, r := range chunk {
			r.rid = blobRid(bid, i)
		}
	}
	return nil
}

// insertBlob stores ents as one blob of table t and returns its bid.
func insertBlob(exec execer, sid int64, t int, ents []blobEnt) (int64, error) {
	tmin, tmax := ents[0].time, ents[0].time
	for _, e := range ents {
		tmin, tmax = min(tmin, e.time), max(tmax, e.time)
	}
	res, err := exec(`INSERT INTO blobs (tbl, sid, tmin, tmax, data) VALUES (?, ?, ?, ?, ?)`, t, sid, tmin, tmax, encodeBlob(ents))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// readBlobs returns the entries at rids, by rid. A rid that no blob holds
// (one of a write rolled back, read from pending) is left out.
func readBlobs(ctx context.Context, q querier, rids []int64) (map[int64]blobEnt, error) {
	want := make(map[int64][]int)
	var bids []int64
	for _, rid := range rids {
		bid, i := splitRid(rid)
		if _, ok := want[bid]; !ok {
			bids = append(bids, bid)
		}
		want[bid] = append(want[bid], i)
	}
	out := make(map[int64]blobEnt, len(rids))
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
		n, offs, body, err := blobHeader(b)
		if err != nil {
			return err
		}
		for _, i := range want[bid] {
			if i >= n {
				continue // not this blob's: a rid of a write that was rolled back
			}
			e, err := decodeBlobAt(offs, body, i)
			if err != nil {
				return err
			}
			out[blobRid(bid, i)] = e
		}
		return nil
	}, `SELECT b.bid, b.data FROM json_each(?) j CROSS JOIN blobs b ON b.bid = j.value`, j)
	return out, err
}

// eachBlobEnt calls f with every live entry (and its rid) of the blobs
// that the WHERE clause where picks.
func eachBlobEnt(ctx context.Context, q querier, where string, args []any, f func(rid int64, e *blobEnt) error) error {
	return eachRow(ctx, q, func(rows *sql.Rows) error {
		var bid int64
		var b []byte
		if err := rows.Scan(&bid, &b); err != nil {
			return err
		}
		ents, err := decodeBlob(b)
		if err != nil {
			return err
		}
		for i := range ents {
			if e := &ents[i]; !e.tomb() {
				if err := f(blobRid(bid, i), e); err != nil {
					return err
				}
			}
		}
		return nil
	}, `SELECT bid, data FROM blobs WHERE `+where+` ORDER BY bid`, args...)
}

// rewriteBlobs applies f to every live entry (with its rid) of the blobs
// that the WHERE clause where picks, writes back the blobs f changed (it
// reports a change), and deletes those left with tombstones only.
func rewriteBlobs(ctx context.Context, tx *sql.Tx, where string, args []any, f func(rid int64, e *blobEnt) bool) error {
	// A page of blobs at a time: the first purge of a big file may pick
	// most of them.
	for after := int64(-1); ; {
		var blobs []decodedBlob
		err := eachRow(ctx, tx, func(rows *sql.Rows) error {
			var x decodedBlob
			var b []byte
			if err := rows.Scan(&x.bid, &b); err != nil {
				return err
			}
			var err error
			x.ents, err = decodeBlob(b)
			blobs = append(blobs, x)
			return err
		}, `SELECT bid, data FROM blobs WHERE (`+where+`) AND bid > ? ORDER BY bid LIMIT 256`, append(args[:len(args):len(args)], after)...)
		if err != nil {
			return err
		}
		if len(blobs) == 0 {
			return nil
		}
		after = blobs[len(blobs)-1].bid
		if err := rewritePage(ctx, tx, blobs, f); err != nil {
			return err
		}
	}
}

type decodedBlob struct {
	bid  int64
	ents []blobEnt
}

// rewritePage is rewriteBlobs for one page of blobs.
func rewritePage(ctx context.Context, tx *sql.Tx, blobs []decodedBlob, f func(rid int64, e *blobEnt) bool) error {
	var err error
	for _, x := range blobs {
		changed, live := false, false
		tmin, tmax := int64(0), int64(0)
		for i := range x.ents {
			e := &x.ents[i]
			if !e.tomb() && f(blobRid(x.bid, i), e) {
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
			_, err = tx.ExecContext(ctx, `DELETE FROM blobs WHERE bid = ?`, x.bid)
		case changed:
			_, err = tx.ExecContext(ctx, `UPDATE blobs SET tmin = ?, tmax = ?, data = ? WHERE bid = ?`,
				tmin, tmax, encodeBlob(x.ents), x.bid)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// eraseBlobs erases the entries at rids: no visitor, no values.
func eraseBlobs(ctx context.Context, tx *sql.Tx, rids []int64) error {
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
	return rewriteBlobs(ctx, tx, `bid IN (SELECT value FROM json_each(?))`, []any{j}, func(rid int64, e *blobEnt) bool {
		if !set[rid] {
			return false
		}
		e.vid, e.vals = 0, nil
		return true
	})
}

// purgeBlobs turns the entries older than b into tombstones, deletes
// their IDs and returns how many there were.
func purgeBlobs(ctx context.Context, tx *sql.Tx, b int64) (int64, error) {
	var ids []string
	err := rewriteBlobs(ctx, tx, `tmin < ?`, []any{b}, func(_ int64, e *blobEnt) bool {
		if e.time >= b {
			return false
		}
		ids = append(ids, e.id)
		*e = blobEnt{}
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM ids WHERE id IN (SELECT value FROM json_each(?))`, j); err != nil {
			return 0, err
		}
	}
	return int64(len(ids)), nil
}

// loadBlobEnts returns the vix entries of the blobs of table t after bid.
func loadBlobEnts(ctx context.Context, q querier, t int, after int64) ([]vixEnt, error) {
	var out []vixEnt
	err := eachBlobEnt(ctx, q, `tbl = ? AND bid > ?`, []any{t, after}, func(rid int64, e *blobEnt) error {
		if e.vid != 0 {
			out = append(out, vixEnt{vid: e.vid, time: e.time, tbl: t, rid: rid})
		}
		return nil
	})
	return out, err
}

// packRows moves the rows of the version 1 tables imps and acts into
// blobs and drops the tables (migration to version 3).
func packRows(ctx context.Context, tx *sql.Tx) error {
	for _, p := range []struct {
		t     int
		query string
	}{
		{tImps, `SELECT id, vid, time, 1, api, labels, products FROM imps WHERE sid = ? ORDER BY time, id`},
		{tActs, `SELECT id, vid, time, kind, value, NULL, NULL FROM acts WHERE sid = ? ORDER BY time, id`},
	} {
		var sids []int64
		if err := eachRow(ctx, tx, func(rows *sql.Rows) error {
			var sid int64
			err := rows.Scan(&sid)
			sids = append(sids, sid)
			return err
		}, `SELECT DISTINCT sid FROM `+tableNames[p.t]); err != nil {
			return err
		}
		for _, sid := range sids {
			var ents []blobEnt
			err := eachRow(ctx, tx, func(rows *sql.Rows) error {
				var e blobEnt
				var v [3]sql.NullString
				if err := rows.Scan(&e.id, &e.vid, &e.time, &e.kind, &v[0], &v[1], &v[2]); err != nil {
					return err
				}
				n := 1
				if p.t == tImps {
					n = 3
				}
				if e.vid != 0 {
					for _, x := range v[:n] {
						e.vals = append(e.vals, x.String)
					}
				}
				ents = append(ents, e)
				return nil
			}, p.query, sid)
			if err != nil {
				return err
			}
			// Version 1 kept impression and activity IDs apart: the second
			// of an ID used by both is kept, as an event, but claims no ID.
			args := make([]any, len(ents))
			for i, e := range ents {
				args[i] = e.id
			}
			query := func(n int) string { return `INSERT OR IGNORE INTO ids (id) VALUES ` + placeholders(n, 1) }
			if err := execRows(txExec(ctx, tx), query, 1, args, nil); err != nil {
				return err
			}
			for chunk := range slices.Chunk(ents, perBlob) {
				if _, err := insertBlob(txExec(ctx, tx), sid, p.t, chunk); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `DROP TABLE `+tableNames[p.t]); err != nil {
			return err
		}
	}
	return nil
}
