package pgtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindBinariesPicksTheHighestCompleteVersion(t *testing.T) {
	root := t.TempDir()
	install := func(version string, programs ...string) {
		bin := filepath.Join(root, version, "bin")
		require.NoError(t, os.MkdirAll(bin, 0o755))
		for _, p := range programs {
			require.NoError(t, os.WriteFile(filepath.Join(bin, p), []byte("#!/bin/sh\n"), 0o755))
		}
	}
	install("9", "initdb", "postgres")
	install("15", "initdb", "postgres")
	install("16", "initdb") // a half-removed install: no server
	install("old", "initdb", "postgres")

	dir, err := findBinaries(filepath.Join(root, "*", "bin", "initdb"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "15", "bin"), dir)
}

func TestFindBinariesSaysHowToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := findBinaries(filepath.Join(t.TempDir(), "*", "bin", "initdb"))
	require.ErrorIs(t, err, errNoBinaries)
	assert.Contains(t, err.Error(), "apt-get install -y postgresql")
}
