package pgtest_test

import (
	"os"
	"testing"

	"github.com/visitrack/visitrack/tracker/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
