package loadgen

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// Start is where the benchmarks' streams begin.
var Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// The benchmark fixture: FixtureEvents events over FixtureSpan from Start,
// of 10k visitors and 100 labels, from seed 2, written in batches of 1,000.
const (
	FixtureEvents = 1_000_000
	FixtureSpan   = 30 * 24 * time.Hour
)

// FixtureLoad returns the fixture's stream, or with next its continuation:
// the same visitors, IDs and times after the fixture's.
func FixtureLoad(next bool) *Load {
	step := FixtureSpan / FixtureEvents
	if !next {
		return New(2, 10000, 100, Start, step)
	}
	l := New(2, 10000, 100, Start.Add(FixtureSpan), step)
	l.Seq = FixtureEvents
	return l
}

// A Sink is a store the fixture is written to.
type Sink interface {
	Write(ctx context.Context, events []tracker.Event) error
	Close() error
}

// Fixture is a file holding the benchmark fixture, built once per test
// binary the first time a benchmark asks for it. The zero value is ready
// to use; Remove deletes what it built.
type Fixture struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Path returns the fixture's file, building it with open, which opens a
// store at a path, the first time. The environment variable
// VISITRACK_FIXTURE names a file to build it in and keep, or to reuse if
// it exists (built by the same version of the store). A fixture is built
// under another name and renamed when complete, so that a build that
// failed or was stopped is never taken for one.
func (f *Fixture) Path(tb testing.TB, open func(ctx context.Context, path string) (Sink, error)) string {
	tb.Helper()
	f.once.Do(func() {
		if p := os.Getenv("VISITRACK_FIXTURE"); p != "" {
			f.path = p
			if _, err := os.Stat(p); err == nil {
				return
			}
		} else {
			if f.dir, f.err = os.MkdirTemp("", "visitrack-bench-"); f.err != nil {
				return
			}
			f.path = filepath.Join(f.dir, "fixture.db")
		}
		f.err = f.build(tb, open)
	})
	if f.err != nil {
		tb.Fatal(f.err)
	}
	return f.path
}

func (f *Fixture) build(tb testing.TB, open func(ctx context.Context, path string) (Sink, error)) error {
	ctx := context.Background()
	partial := f.path + ".partial"
	s, err := open(ctx, partial)
	if err != nil {
		return err
	}
	if err := f.write(tb, ctx, s); err != nil {
		s.Close()
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	if err := os.Rename(partial, f.path); err != nil {
		return err
	}
	// What the store kept beside the file while open (a lock file).
	rest, _ := filepath.Glob(partial + "*")
	for _, p := range rest {
		os.Remove(p)
	}
	return nil
}

func (f *Fixture) write(tb testing.TB, ctx context.Context, s Sink) error {
	l := FixtureLoad(false)
	start := time.Now()
	for i := 0; i < FixtureEvents; i += 1000 {
		if err := s.Write(ctx, l.Batch(1000)); err != nil {
			return err
		}
	}
	d := time.Since(start)
	tb.Logf("fixture: %d events written in %v (%.0f events/s)", FixtureEvents, d.Round(time.Millisecond), FixtureEvents/d.Seconds())
	return nil
}

// Remove deletes the fixture if Path built it in a directory of its own.
func (f *Fixture) Remove() {
	if f.dir != "" {
		os.RemoveAll(f.dir)
	}
}
