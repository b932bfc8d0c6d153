package dashboard_test

import (
	"os"
	"testing"
)

// TestMain removes the benchmarks' fixture, if one was built.
func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}
