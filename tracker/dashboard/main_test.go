package dashboard_test

import (
	"os"
	"testing"
)

// TestMain removes the benchmarks' fixture, if one was built.
func TestMain(m *testing.M) {
	code := m.Run()
	fixture.Remove()
	os.Exit(code)
}
