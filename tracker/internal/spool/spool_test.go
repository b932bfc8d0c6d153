package spool_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/internal/spool"
)

func TestSpool(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := spool.Open(ctx, path)
	require.NoError(t, err)

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

	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(name); err == nil {
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
		}
	}

	// Reopened, it holds what was not deleted, and never reuses a number.
	s, err = spool.Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	recs, err = s.Read(ctx, 0, 1<<62, 10, 100)
	require.NoError(t, err)
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
	s, err := spool.Open(ctx, filepath.Join(t.TempDir(), "spool.db"))
	require.NoError(t, err)
	defer s.Close()
	var data [][]byte
	for i := range 8 {
		data = append(data, []byte{byte('a' + i)})
	}
	seqs, err := s.Append(ctx, data)
	require.NoError(t, err)

	// Records outside the range, and those kept, stay.
	require.NoError(t, s.Delete(ctx, seqs[1], seqs[6], []int64{seqs[1], seqs[3], seqs[4]}))
	recs, err := s.Read(ctx, 0, 1<<62, 10, 100)
	require.NoError(t, err)
	var got string
	for _, r := range recs {
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
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := spool.Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	// Not assert.Contains: it would print the files.
	inFiles := func(text string) bool {
		var files []byte
		for _, name := range []string{path, path + "-wal", path + "-shm"} {
			b, err := os.ReadFile(name)
			if !os.IsNotExist(err) {
				require.NoError(t, err)
			}
			files = append(files, b...)
		}
		return bytes.Contains(files, []byte(text))
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
	recs, err := s.Read(ctx, 0, 1<<62, 10, 1000)
	require.NoError(t, err)
	assert.Equal(t, []spool.Record{{Seq: pending[0], Data: []byte("still-pending")}}, recs)

	require.NoError(t, s.Delete(ctx, pending[0], pending[0], nil))
	assert.False(t, inFiles("still-pending"), "the spool is empty: erased before Delete returns")
}
