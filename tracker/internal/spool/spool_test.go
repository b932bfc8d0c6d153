package spool_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/internal/spool"
)

// tempPath returns the path of a spool in a new temporary directory.
func tempPath(t *testing.T) string { return filepath.Join(t.TempDir(), "spool.db") }

// open opens the spool at path, closed when the test ends.
func open(t *testing.T, path string) *spool.Spool {
	t.Helper()
	s, err := spool.Open(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// readAll returns every record in s.
func readAll(t *testing.T, s *spool.Spool) []spool.Record {
	t.Helper()
	recs, err := s.Read(t.Context(), 0, math.MaxInt64, 1000, 1<<20)
	require.NoError(t, err)
	return recs
}

// files are the files of the spool at path: the database, its write-ahead
// log and its shared-memory index.
func files(path string) []string { return []string{path, path + "-wal", path + "-shm"} }

func TestSpool(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := tempPath(t)
	s := open(t, path)

	seqs, err := s.Append(ctx, [][]byte{[]byte("a"), []byte("bb"), []byte("ccc")})
	require.NoError(t, err)
	require.Len(t, seqs, 3)
	assert.Less(t, seqs[0], seqs[1])
	assert.Less(t, seqs[1], seqs[2])

	info, err := s.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, spool.Info{Records: 3, Bytes: 6, MaxSeq: seqs[2]}, info)

	recs, err := s.Read(ctx, 0, seqs[2], 10, 3)
	require.NoError(t, err)
	require.Len(t, recs, 2, "stops once maxBytes is reached")
	assert.Equal(t, "a", string(recs[0].Data))
	assert.Equal(t, "bb", string(recs[1].Data))

	recs, err = s.Read(ctx, seqs[1], seqs[1], 10, 100)
	require.NoError(t, err)
	assert.Empty(t, recs, "nothing after upTo")

	require.NoError(t, s.Delete(ctx, seqs[0], seqs[1], nil))
	require.NoError(t, s.Close())

	for _, name := range files(path) {
		if fi, err := os.Stat(name); err == nil {
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
		}
	}

	// Reopened, it holds what was not deleted, and never reuses a number.
	s = open(t, path)
	recs = readAll(t, s)
	require.Len(t, recs, 1)
	assert.Equal(t, spool.Record{Seq: seqs[2], Data: []byte("ccc")}, recs[0])
	require.NoError(t, s.Delete(ctx, seqs[2], seqs[2], nil))
	more, err := s.Append(ctx, [][]byte{[]byte("d")})
	require.NoError(t, err)
	assert.Greater(t, more[0], seqs[2])
}

func TestOpenBadPath(t *testing.T) {
	t.Parallel()
	_, err := spool.Open(t.Context(), filepath.Join(t.TempDir(), "missing", "spool.db"))
	assert.Error(t, err)
	_, err = spool.Open(t.Context(), "")
	assert.Error(t, err)
}

func TestDeleteKeeps(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, tempPath(t))
	var data [][]byte
	for i := range 8 {
		data = append(data, []byte{byte('a' + i)})
	}
	seqs, err := s.Append(ctx, data)
	require.NoError(t, err)

	// Records outside the range, and those kept, stay.
	require.NoError(t, s.Delete(ctx, seqs[1], seqs[6], []int64{seqs[1], seqs[3], seqs[4]}))
	var got string
	for _, r := range readAll(t, s) {
		got += string(r.Data)
	}
	assert.Equal(t, "abdeh", got)
}

// TestDeleteErases: a deleted record leaves no byte in the database file, its
// write-ahead log or its shared-memory index, while the spool is open: within
// EraseWithin while it holds other records, at once when it is empty.
func TestDeleteErases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := tempPath(t)
	s := open(t, path)
	// Not assert.Contains: it would print the files.
	inFiles := func(text string) bool {
		var content []byte
		for _, name := range files(path) {
			b, err := os.ReadFile(name)
			if !os.IsNotExist(err) {
				require.NoError(t, err)
			}
			content = append(content, b...)
		}
		return bytes.Contains(content, []byte(text))
	}

	var data [][]byte
	for i := range 200 {
		data = append(data, bytes.Repeat(fmt.Appendf(nil, "secret-%03d@example.com", i), 20))
	}
	seqs, err := s.Append(ctx, data)
	require.NoError(t, err)
	pending, err := s.Append(ctx, [][]byte{[]byte("still-pending")})
	require.NoError(t, err)
	require.True(t, inFiles("secret-"))

	require.NoError(t, s.Delete(ctx, seqs[0], seqs[len(seqs)-1], nil))
	assert.Eventually(t, func() bool { return !inFiles("secret-") }, 5*spool.EraseWithin, 10*time.Millisecond,
		"deleted records left in the files")
	assert.True(t, inFiles("still-pending"), "the record left is in the files")
	assert.Equal(t, []spool.Record{{Seq: pending[0], Data: []byte("still-pending")}}, readAll(t, s))

	require.NoError(t, s.Delete(ctx, pending[0], pending[0], nil))
	assert.False(t, inFiles("still-pending"), "the spool is empty: erased before Delete returns")
}
