package tracker_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
)

// What only a spool does: replay after a restart or a SIGKILL, a full disk,
// its cap, forgetting settled events and erasing them from its files. The
// behaviour both modes share is in queue_test.go.

var errDown = errors.New("sink down")

func downSink() tracker.Sink {
	return sinkFunc(func(context.Context, []tracker.Event) error { return errDown })
}

func TestQueueSpoolReplay(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "spool.db")
	q, err := tracker.OpenQueue(ctx, downSink(), fast(tracker.QueueConfig{Spool: path, MaxElapsed: -1}))
	require.NoError(t, err)
	var want []tracker.Event
	for i := range 50 {
		e := event(i, []tracker.Kind{tracker.KindClick, tracker.KindSale, tracker.KindEmail}[i%3])
		e.Labels = []string{"Homepage - Trending"}
		want = append(want, e)
		require.NoError(t, q.Record(ctx, e))
	}
	assert.Equal(t, tracker.Stats{Enqueued: 50, Pending: 50}, q.Stats())

	cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	err = q.Close(cctx)
	var u *tracker.UndeliveredError
	require.ErrorAs(t, err, &u)
	assert.Equal(t, 50, u.Events)
	assert.Equal(t, 50, u.Spooled)
	assert.Contains(t, err.Error(), "50 kept in the spool")
	assert.Equal(t, tracker.Stats{Enqueued: 50, Pending: 50}, q.Stats())

	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(name); err == nil {
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
		}
	}

	// The next start sends what the spool kept.
	mem := tracker.NewMemory()
	q, err = tracker.OpenQueue(ctx, mem, fast(tracker.QueueConfig{Spool: path}))
	require.NoError(t, err)
	assert.Equal(t, uint64(50), q.Stats().Enqueued)
	require.NoError(t, q.Close(ctx))
	got := mem.Events()
	slices.SortFunc(got, func(a, b tracker.Event) int { return strings.Compare(a.ID, b.ID) })
	assert.Equal(t, want, got, "events come back from the spool unchanged")
	assert.Equal(t, tracker.Stats{Enqueued: 50, Delivered: 50}, q.Stats())

	// Delivered events are gone from the spool.
	q, err = tracker.OpenQueue(ctx, mem, fast(tracker.QueueConfig{Spool: path}))
	require.NoError(t, err)
	assert.Equal(t, tracker.Stats{}, q.Stats())
	require.NoError(t, q.Close(ctx))
}

// TestQueueSpoolForgetsSettled: what was delivered or given up on is gone
// from the spool, a batch at a time or event by event (*BatchError); what a
// sink may still take stays for the next start.
func TestQueueSpoolForgetsSettled(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "spool.db")
	rejected := tracker.Permanent(errors.New("rejected"))
	// In the first batch, event 0 is stored, 1 refused for good, 2 not
	// stored yet; the sink refuses the second batch, 3 to 5, for good.
	sink := sinkFunc(func(_ context.Context, events []tracker.Event) error {
		var failed []tracker.EventError
		for i, e := range events {
			switch e.ID {
			case "e000001":
				failed = append(failed, tracker.EventError{Index: i, Err: rejected})
			case "e000002":
				failed = append(failed, tracker.EventError{Index: i, Err: errDown})
			case "e000003":
				return rejected
			}
		}
		if failed != nil {
			return &tracker.BatchError{Failed: failed}
		}
		return nil
	})
	var f failures
	q, err := tracker.OpenQueue(ctx, sink, fast(tracker.QueueConfig{Spool: path, BatchSize: 3,
		FlushInterval: time.Hour, MaxElapsed: -1, OnFailure: f.onFailure}))
	require.NoError(t, err)
	recordN(ctx, t, q, 6, tracker.KindSale)
	require.Eventually(t, func() bool { return q.Stats().Pending == 1 }, 10*time.Second, time.Millisecond)
	assert.Equal(t, tracker.Stats{Enqueued: 6, Delivered: 1, Failed: 4, Pending: 1}, q.Stats())
	failed, _ := f.get()
	assert.ElementsMatch(t, []string{"e000001", "e000003", "e000004", "e000005"}, idList(failed))
	cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	var u *tracker.UndeliveredError
	require.ErrorAs(t, q.Close(cctx), &u)
	assert.Equal(t, tracker.UndeliveredError{Events: 1, Spooled: 1, Err: u.Err}, *u)

	mem, stats := restart(ctx, t, path)
	assert.Equal(t, []string{"e000002"}, idList(mem.Events()), "only the event not settled is replayed")
	assert.Equal(t, tracker.Stats{Enqueued: 1, Delivered: 1}, stats)
}

// TestQueueSpoolErasesDelivered: once delivered, a visitor's personal data
// is gone from the spool's files, not only from its table.
func TestQueueSpoolErasesDelivered(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "spool.db")
	const (
		visitor = "cv0p5ab8ch2gspoo1ed0"
		email   = "zq-erasable-buyer@example.com"
		query   = "zq erasable velvet slippers"
	)
	files := func() []byte {
		var b []byte
		for _, name := range []string{path, path + "-wal", path + "-shm"} {
			data, err := os.ReadFile(name)
			if !os.IsNotExist(err) {
				require.NoError(t, err)
			}
			b = append(b, data...)
		}
		return b
	}
	// Not assert.Contains: it would print the files.
	leftIn := func(b []byte) (left []string) {
		for _, s := range []string{visitor, email, query} {
			if bytes.Contains(b, []byte(s)) {
				left = append(left, s)
			}
		}
		return left
	}

	mem := tracker.NewMemory()
	q, err := tracker.OpenQueue(ctx, mem, fast(tracker.QueueConfig{Spool: path, FlushInterval: time.Hour}))
	require.NoError(t, err)
	tr := tracker.New(tracker.Options{Store: "shop", Visitor: visitor, Consent: consent.Persistent, Recorder: q})
	require.NoError(t, tr.Sale(tracker.Sale{ID: "567", Email: email,
		Products: []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 1}}}))
	require.NoError(t, tr.Search(query))
	require.Len(t, leftIn(files()), 3, "the spool holds the events before delivery")

	require.NoError(t, q.Flush(ctx))
	require.Equal(t, uint64(0), q.Stats().Pending)
	assert.Equal(t, 2, mem.Len(), "the sink has the sale and the search")
	assert.Empty(t, leftIn(files()), "delivered events left personal data in the spool's files")
	require.NoError(t, q.Close(ctx))
	assert.Empty(t, leftIn(files()), "after Close")
}

func TestQueueSpoolCap(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "spool.db")
	q, err := tracker.OpenQueue(ctx, downSink(), fast(tracker.QueueConfig{Spool: path, SpoolMaxBytes: 1, MaxElapsed: -1}))
	require.NoError(t, err)
	require.NoError(t, q.Record(ctx, event(1, tracker.KindClick)), "below the cap")
	assert.ErrorIs(t, q.Record(ctx, event(2, tracker.KindClick)), tracker.ErrQueueFull)
	assert.ErrorIs(t, q.Record(ctx, event(3, tracker.KindImpression)), tracker.ErrQueueFull)
	assert.NoError(t, q.Record(ctx, event(4, tracker.KindSale)), "sales pass the cap")
	assert.NoError(t, q.Record(ctx, event(5, tracker.KindEmail)), "email links pass the cap")
	assert.Equal(t, tracker.Stats{Enqueued: 5, Dropped: 2, Pending: 3}, q.Stats())
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	assert.Error(t, q.Close(cctx))
}

func TestQueueSpoolOpenError(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "no such dir", "spool.db")
	_, err := tracker.OpenQueue(ctx, tracker.NewMemory(), fast(tracker.QueueConfig{Spool: path}))
	require.Error(t, err)

	q := tracker.NewQueue(tracker.NewMemory(), fast(tracker.QueueConfig{Spool: path}))
	rerr := q.Record(ctx, event(1, tracker.KindSale))
	assert.Error(t, rerr, "a queue without its spool refuses events, never silently")
	assert.Equal(t, err.Error(), rerr.Error())
	assert.Error(t, q.Flush(ctx))
	assert.Error(t, q.Close(ctx))
	assert.Equal(t, tracker.Stats{Enqueued: 1, Dropped: 1}, q.Stats())
}

// fileSink appends the IDs of the events it takes to a file, synced before
// it acknowledges.
type fileSink struct {
	mu sync.Mutex
	f  *os.File
}

func (s *fileSink) Write(_ context.Context, events []tracker.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.ID + "\n")
	}
	if _, err := s.f.WriteString(b.String()); err != nil {
		return err
	}
	time.Sleep(50 * time.Millisecond) // a slow store, so that the spool fills
	return s.f.Sync()
}

const (
	childSpoolEnv = "VISITRACK_TEST_SPOOL_CHILD"
	childFsizeEnv = "VISITRACK_TEST_FSIZE_CHILD"
)

// spoolChild is the process TestQueueSpoolSIGKILL kills: it records events
// into a spooled queue as fast as it can and prints the ID of each that
// Record acknowledged. TestMain runs it in the re-executed test binary.
func spoolChild(path string) error {
	f, err := os.OpenFile(path+".sink", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	q, err := tracker.OpenQueue(context.Background(), &fileSink{f: f},
		fast(tracker.QueueConfig{Spool: path, BatchSize: 64, Senders: 2, MaxElapsed: -1}))
	if err != nil {
		return err
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				e := event(i, []tracker.Kind{tracker.KindClick, tracker.KindSale, tracker.KindView}[i%3])
				e.ID = fmt.Sprintf("g%d-%d", g, i)
				if err := q.Record(context.Background(), e); err == nil {
					out.Lock()
					fmt.Fprintf(os.Stdout, "ack %s\n", e.ID) // one write: whole, or not at all
					out.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// TestQueueSpoolSIGKILL kills a process in the middle of a load and checks
// that every event it acknowledged reaches the sink after a restart.
func TestQueueSpoolSIGKILL(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cmd, path := childCmd(ctx, t, childSpoolEnv)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())

	acked := make(map[string]bool)
	rd := bufio.NewReader(stdout)
	killed := false
	deadline := time.Now().Add(10 * time.Second)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			// A line cut by the kill (no newline) may hold a cut ID: it
			// does not count as acknowledged.
			break
		}
		if id, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "ack "); ok {
			acked[id] = true
		}
		if !killed && (len(acked) >= 3000 || time.Now().After(deadline)) {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			killed = true
		}
	}
	err = cmd.Wait()
	require.True(t, killed, "child ended by itself: %v", err)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal())
	require.NotEmpty(t, acked)

	delivered := make(map[string]bool)
	if b, err := os.ReadFile(path + ".sink"); err == nil {
		for _, id := range strings.Split(string(b), "\n") {
			delivered[id] = true
		}
	}
	mem, _ := restart(ctx, t, path)
	for _, e := range mem.Events() {
		delivered[e.ID] = true
	}
	var lost []string
	for id := range acked {
		if !delivered[id] {
			lost = append(lost, id)
		}
	}
	assert.Empty(t, lost, "acknowledged before the kill, never delivered")
	t.Logf("acknowledged %d; delivered before the kill %d, after the restart %d", len(acked), len(delivered)-mem.Len(), mem.Len())
}

// fsizeChild records into a spool that may not grow past 256 KiB, as on a
// full disk, and prints what Record returned. TestMain runs it in the
// re-executed test binary.
func fsizeChild(path string) error {
	signal.Ignore(syscall.SIGXFSZ) // a write past the limit fails with EFBIG instead
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 256 << 10, Max: 256 << 10}); err != nil {
		return err
	}
	q, err := tracker.OpenQueue(context.Background(), downSink(), fast(tracker.QueueConfig{Spool: path, MaxElapsed: -1}))
	if err != nil {
		return err
	}
	acked := 0
	for i := range 10000 {
		e := event(i, tracker.KindSale)
		e.Customer = strings.Repeat("x", 1000)
		if err := q.Record(context.Background(), e); err != nil {
			fmt.Printf("error %v\n", err)
			break
		}
		acked++
	}
	fmt.Printf("acked %d\n", acked)
	s := q.Stats()
	fmt.Printf("stats %d %d %d\n", s.Enqueued, s.Dropped, s.Pending)
	return nil
}

// childCmd skips the test in -short mode, and otherwise returns the command
// that re-executes the test binary as the child TestMain runs for env, on a
// spool at the path it returns, in the test's directory.
func childCmd(ctx context.Context, t *testing.T, env string) (*exec.Cmd, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "spool.db")
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+path)
	return cmd, path
}

// restart opens a queue on the spool at path, as the next start would, and
// closes it once it has sent what the spool kept to the Memory it returns,
// with the queue's stats after Close.
func restart(ctx context.Context, t *testing.T, path string) (*tracker.Memory, tracker.Stats) {
	t.Helper()
	mem := tracker.NewMemory()
	q, err := tracker.OpenQueue(ctx, mem, fast(tracker.QueueConfig{Spool: path}))
	require.NoError(t, err)
	require.NoError(t, q.Close(ctx))
	return mem, q.Stats()
}

// TestMain runs a child process's part when the test binary is re-executed
// by TestQueueSpoolSIGKILL or TestQueueSpoolDiskFull, and the tests
// otherwise.
func TestMain(m *testing.M) {
	for env, child := range map[string]func(string) error{childSpoolEnv: spoolChild, childFsizeEnv: fsizeChild} {
		if path := os.Getenv(env); path != "" {
			if err := child(path); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(1)
			}
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

// TestQueueSpoolDiskFull: a spool write that fails (here past RLIMIT_FSIZE,
// as on a full disk) is an error from Record, and what was acknowledged
// before it is kept.
func TestQueueSpoolDiskFull(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cmd, path := childCmd(ctx, t, childFsizeEnv)
	out, err := cmd.Output()
	require.NoError(t, err, "%s", out)
	var acked, enq, dropped, pending int
	var errLine string
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "error "):
			errLine = line
		case strings.HasPrefix(line, "acked "):
			fmt.Sscanf(line, "acked %d", &acked)
		case strings.HasPrefix(line, "stats "):
			fmt.Sscanf(line, "stats %d %d %d", &enq, &dropped, &pending)
		}
	}
	require.NotEmpty(t, errLine, "Record returned an error once the file could not grow: %s", out)
	assert.NotContains(t, errLine, tracker.ErrQueueFull.Error())
	assert.Greater(t, acked, 0)
	assert.Equal(t, 1, dropped, "the refused sale is counted")
	assert.Equal(t, acked, pending)
	assert.Equal(t, acked+1, enq)

	mem, _ := restart(ctx, t, path)
	assert.Equal(t, acked, mem.Len(), "every acknowledged sale survived")
}
