package sqlite_test

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs the child processes some tests start (lockChild,
// crashChild), and
// removes the benchmark fixture, if one was built.
func TestMain(m *testing.M) {
	if path := os.Getenv("VISITRACK_LOCK_CHILD"); path != "" {
		if err := lockChild(path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if path := os.Getenv("VISITRACK_CRASH_CHILD"); path != "" {
		if err := crashChild(path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	fixture.Remove()
	os.Exit(code)
}
