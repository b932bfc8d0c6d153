package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/postgres"
	"github.com/visitrack/visitrack/tracker/postgres/pgtest"
	"github.com/visitrack/visitrack/tracker/storetest"
)

// Several Stores on one database, as several instances of a shop hold,
// write the same visitors' events at once: a click through one, the sale
// through another, an email link through a third. Every answer equals the
// reference model's.
func TestManyWritersOneAnswer(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	for _, tc := range []struct {
		name string
		cfg  postgres.Config
		opts []storetest.Option
	}{
		{"default", postgres.Config{}, nil},
		{"small link limit", postgres.Config{Rules: credit.Rules{LinkLimit: 5}}, []storetest.Option{storetest.LinkLimit(5), storetest.Events(2000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "default" {
				dsn = pgtest.DSN(t)
			}
			var stores []storetest.Store
			for range 3 {
				s, err := postgres.OpenConfig(t.Context(), dsn, tc.cfg)
				require.NoError(t, err)
				t.Cleanup(func() { assert.NoError(t, s.Close()) })
				stores = append(stores, s)
			}
			storetest.Concurrent(t, stores, tc.opts...)
		})
	}
}
