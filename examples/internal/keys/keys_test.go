package keys

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	t.Parallel()
	h, b := strings.Repeat("ab", 64), strings.Repeat("cd", 32)
	ks, err := Parse(h + "," + b + "," + h + ",")
	require.NoError(t, err)
	require.Len(t, ks, 4)
	assert.Len(t, ks[0], 64)
	assert.Len(t, ks[1], 32)
	assert.Nil(t, ks[3], "an empty block key means sign only")

	for _, bad := range []string{h, h + ",zz", "," + b, h + "," + b + "," + h} {
		_, err := Parse(bad)
		assert.ErrorIs(t, err, ErrBadKeys, "%.20q", bad)
	}
}

func TestLoad(t *testing.T) {
	t.Setenv(EnvVar, "")
	var logs bytes.Buffer
	ks, err := Load(slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	require.Len(t, ks, 2)
	assert.Len(t, ks[0], 64)
	assert.Len(t, ks[1], 32)
	assert.Contains(t, logs.String(), "will not survive a restart")

	t.Setenv(EnvVar, strings.Repeat("01", 32)+","+strings.Repeat("02", 16))
	ks, err = Load(slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	assert.Equal(t, bytes.Repeat([]byte{1}, 32), ks[0])
	assert.Equal(t, bytes.Repeat([]byte{2}, 16), ks[1])
}
