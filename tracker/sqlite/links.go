package sqlite

import (
	"context"
	"database/sql"
	"strconv"
)

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// keyVids returns the vids of the visitors linked to key in store sid.
func keyVids(ctx context.Context, q querier, sid int64, key string) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT g2.vid FROM links l
		JOIN identities g1 ON g1.vid = l.vid
		JOIN identities g2 ON g2.grp = g1.grp
		WHERE l.sid = ? AND l.key = ? ORDER BY 1`, sid, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// keyMembers returns the visitors linked to key ("e:" email or "c:"
// customer ID): those holding it and every visitor linked to them.
func keyMembers(ctx context.Context, q querier, store, key string) ([]string, error) {
	var out []string
	err := each(ctx, q, func(v string) { out = append(out, v) },
		`SELECT DISTINCT v.visitor FROM stores s JOIN links l ON l.sid = s.sid
		JOIN identities g1 ON g1.vid = l.vid
		JOIN identities g2 ON g2.grp = g1.grp
		JOIN visitors v ON v.vid = g2.vid
		WHERE s.name = ? AND l.key = ? ORDER BY 1`, store, key)
	return out, err
}

// rebuildIdentities recomputes the groups of linked visitors from the
// links, after links were deleted and groups may have split.
func rebuildIdentities(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM identities`); err != nil {
		return err
	}
	// Union-find over visitors (vid) and keys (sid and key).
	type node struct {
		vid int64
		key string
	}
	parent := make(map[node]node)
	var find func(node) node
	find = func(x node) node {
		p, ok := parent[x]
		if !ok || p == x {
			parent[x] = x
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	rows, err := tx.QueryContext(ctx, `SELECT vid, sid, key FROM links`)
	if err != nil {
		return err
	}
	var visitors []node
	for rows.Next() {
		var vid, sid int64
		var k string
		if err := rows.Scan(&vid, &sid, &k); err != nil {
			rows.Close()
			return err
		}
		vn, kn := node{vid: vid}, node{key: strconv.FormatInt(sid, 10) + "\x00" + k}
		if _, ok := parent[vn]; !ok {
			visitors = append(visitors, vn)
		}
		a, b := find(vn), find(kn)
		if a != b {
			parent[a] = b
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	grp := make(map[node]int64)
	for _, vn := range visitors {
		r := find(vn)
		g, ok := grp[r]
		if !ok {
			g = int64(len(grp) + 1)
			grp[r] = g
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO identities (vid, grp) VALUES (?, ?)`, vn.vid, g); err != nil {
			return err
		}
	}
	return nil
}

func each(ctx context.Context, q querier, f func(string), query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		f(s)
	}
	return rows.Err()
}
