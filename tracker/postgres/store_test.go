package postgres_test

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/postgres"
	"github.com/visitrack/visitrack/tracker/postgres/pgtest"
	"github.com/visitrack/visitrack/tracker/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func opener(cfg postgres.Config) func(t *testing.T) storetest.Store {
	return func(t *testing.T) storetest.Store {
		s, err := postgres.OpenConfig(t.Context(), pgtest.DSN(t), cfg)
		require.NoError(t, err)
		return s
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, opener(postgres.Config{}))
}

func TestConformanceShortWindow(t *testing.T) {
	storetest.Run(t, opener(postgres.Config{Rules: credit.Rules{Window: 2 * time.Hour, LinkLimit: 5}}),
		storetest.Window(2*time.Hour), storetest.LinkLimit(5), storetest.Events(1500))
}

func TestConformanceTinyBudget(t *testing.T) {
	storetest.Run(t, opener(postgres.Config{MemoryBudget: 1}), storetest.Events(1500))
}
