package spool_test

import (
	"os"
	"path/filepath"
	"testing"

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

	require.NoError(t, s.Delete(ctx, seqs[0], seqs[1]))
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
	require.NoError(t, s.Delete(ctx, seqs[2], seqs[2]))
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
