package main

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgBaskets keeps baskets in PostgreSQL, in a table of the shop's own next
// to visitrack's, so that every instance of the shop sees the same basket.
type pgBaskets struct {
	pool    *pgxpool.Pool
	store   string
	catalog *catalog
}

func newPGBaskets(ctx context.Context, dsn, store string, cat *catalog) (*pgBaskets, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS webshop_baskets (
		store text NOT NULL, visitor text NOT NULL, lines text NOT NULL, PRIMARY KEY (store, visitor))`); err != nil {
		pool.Close()
		return nil, err
	}
	return &pgBaskets{pool: pool, store: store, catalog: cat}, nil
}

func (p *pgBaskets) get(ctx context.Context, visitor string) (basket, error) {
	var lines string
	err := p.pool.QueryRow(ctx, `SELECT lines FROM webshop_baskets WHERE store = $1 AND visitor = $2`, p.store, visitor).Scan(&lines)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeBasket(lines, p.catalog), nil
}

func (p *pgBaskets) put(ctx context.Context, visitor string, b basket) error {
	if len(b) == 0 {
		_, err := p.pool.Exec(ctx, `DELETE FROM webshop_baskets WHERE store = $1 AND visitor = $2`, p.store, visitor)
		return err
	}
	_, err := p.pool.Exec(ctx, `INSERT INTO webshop_baskets (store, visitor, lines) VALUES ($1, $2, $3)
		ON CONFLICT (store, visitor) DO UPDATE SET lines = excluded.lines`, p.store, visitor, b.encode())
	return err
}

func (p *pgBaskets) close() { p.pool.Close() }
