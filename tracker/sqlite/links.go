package sqlite

import (
	"context"
	"database/sql"
	"slices"
)

// maxGroup bounds how many visitors one identity may link, so that a shared
// key (a customer ID like "guest") cannot make every lookup walk the whole
// store.
const maxGroup = 1000

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// identity is a set of linked visitors and the keys (emails, customer IDs)
// that link them.
type identity struct {
	visitors []string // sorted
	keys     []string // sorted
}

// linked walks the identity graph from the given visitors and keys: every
// visitor reachable through shared emails or customer IDs belongs to it.
func linked(ctx context.Context, q querier, store string, visitors, keys []string) (identity, error) {
	seenV := make(map[string]bool)
	seenK := make(map[string]bool)
	var fv, fk []string
	for _, v := range visitors {
		if !seenV[v] {
			seenV[v] = true
			fv = append(fv, v)
		}
	}
	for _, k := range keys {
		if !seenK[k] {
			seenK[k] = true
			fk = append(fk, k)
		}
	}
	for (len(fv) > 0 || len(fk) > 0) && len(seenV) < maxGroup {
		var nk []string
		for _, v := range fv {
			if err := each(ctx, q, func(k string) {
				if !seenK[k] {
					seenK[k] = true
					nk = append(nk, k)
				}
			}, `SELECT key FROM links WHERE store = ? AND visitor = ?`, store, v); err != nil {
				return identity{}, err
			}
		}
		fk = append(fk, nk...)
		fv = fv[:0]
		for _, k := range fk {
			if err := each(ctx, q, func(v string) {
				if !seenV[v] {
					seenV[v] = true
					fv = append(fv, v)
				}
			}, `SELECT visitor FROM links WHERE store = ? AND key = ?`, store, k); err != nil {
				return identity{}, err
			}
		}
		fk = fk[:0]
	}
	id := identity{}
	for v := range seenV {
		id.visitors = append(id.visitors, v)
	}
	for k := range seenK {
		id.keys = append(id.keys, k)
	}
	slices.Sort(id.visitors)
	slices.Sort(id.keys)
	return id, nil
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
