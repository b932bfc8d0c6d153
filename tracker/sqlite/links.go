package sqlite

import (
	"context"
	"database/sql"
	"strings"
)

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// keyMembers returns the visitors linked to key ("e:" email or "c:"
// customer ID): those holding it and every visitor linked to them.
func keyMembers(ctx context.Context, q querier, store, key string) ([]string, error) {
	var out []string
	err := each(ctx, q, func(v string) { out = append(out, v) },
		`SELECT DISTINCT g2.visitor FROM links l
		JOIN identities g1 ON g1.store = l.store AND g1.visitor = l.visitor
		JOIN identities g2 ON g2.grp = g1.grp
		WHERE l.store = ? AND l.key = ? ORDER BY 1`, store, key)
	return out, err
}

// rebuildIdentities recomputes the groups of linked visitors from the
// links, after links were deleted and groups may have split.
func rebuildIdentities(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM identities`); err != nil {
		return err
	}
	parent := make(map[string]string)
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			parent[x] = x
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	rows, err := tx.QueryContext(ctx, `SELECT store, visitor, key FROM links`)
	if err != nil {
		return err
	}
	var visitors []string
	for rows.Next() {
		var store, v, k string
		if err := rows.Scan(&store, &v, &k); err != nil {
			rows.Close()
			return err
		}
		vn, kn := "v"+store+"\x00"+v, "k"+store+"\x00"+k
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
	grp := make(map[string]int64)
	for _, vn := range visitors {
		r := find(vn)
		g, ok := grp[r]
		if !ok {
			g = int64(len(grp) + 1)
			grp[r] = g
		}
		store, v, _ := strings.Cut(vn[1:], "\x00")
		if _, err := tx.ExecContext(ctx, `INSERT INTO identities (store, visitor, grp) VALUES (?, ?, ?)`, store, v, g); err != nil {
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
