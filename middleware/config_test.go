package middleware_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

func TestNewConfigErrors(t *testing.T) {
	t.Parallel()
	hash32 := []byte(strings.Repeat("h", 32))
	tests := []struct {
		name  string
		cfg   middleware.Config
		is    error
		field string // the message names it
	}{
		{"no store", middleware.Config{Keys: [][]byte{hash32}, Recorder: tracker.NewMemory()}, middleware.ErrNoStore, "Store"},
		{"no recorder", middleware.Config{Keys: [][]byte{hash32}, Store: "shop-dk"}, middleware.ErrNoRecorder, "Recorder"},
		{"no keys", middleware.Config{Store: "shop-dk", Recorder: tracker.NewMemory()}, session.ErrKeys, "Keys"},
		{"empty hash key", middleware.Config{Keys: [][]byte{{}}, Store: "shop-dk", Recorder: tracker.NewMemory()}, session.ErrKeys, "Keys"},
		{"16-byte hash key", middleware.Config{Keys: [][]byte{[]byte(strings.Repeat("h", 16))}, Store: "shop-dk", Recorder: tracker.NewMemory()}, session.ErrKeys, "Keys[0]"},
		{"31-byte hash key", middleware.Config{Keys: [][]byte{[]byte(strings.Repeat("h", 31))}, Store: "shop-dk", Recorder: tracker.NewMemory()}, session.ErrKeys, "Keys[0]"},
		{"15-byte block key", middleware.Config{Keys: [][]byte{hash32, []byte(strings.Repeat("b", 15))}, Store: "shop-dk", Recorder: tracker.NewMemory()}, session.ErrKeys, "Keys[1]"},
		{"short old hash key", middleware.Config{Keys: [][]byte{hash32, nil, []byte("short")}, Store: "shop-dk", Recorder: tracker.NewMemory()}, session.ErrKeys, "Keys[2]"},
		{"bad old block key", middleware.Config{Keys: [][]byte{hash32, nil, hash32, []byte("17-bytes-17-bytes")}, Store: "shop-dk", Recorder: tracker.NewMemory()}, session.ErrKeys, "Keys[3]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := middleware.New(tt.cfg)
			require.Error(t, err)
			assert.Nil(t, m)
			assert.True(t, errors.Is(err, tt.is), "errors.Is(%v, %v)", err, tt.is)
			assert.Contains(t, err.Error(), tt.field)
		})
	}
}

func TestNewValidConfigs(t *testing.T) {
	t.Parallel()
	hash32 := []byte(strings.Repeat("h", 32))
	for name, keys := range map[string][][]byte{
		"sign only":        {hash32},
		"sign only, nil":   {hash32, nil},
		"AES-128":          {hash32, []byte(strings.Repeat("b", 16))},
		"AES-192":          {hash32, []byte(strings.Repeat("b", 24))},
		"AES-256":          {hash32, []byte(strings.Repeat("b", 32))},
		"64-byte hash key": {[]byte(strings.Repeat("h", 64)), nil},
		"two pairs":        {hash32, []byte(strings.Repeat("b", 16)), []byte(strings.Repeat("o", 32)), nil},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, err := middleware.New(middleware.Config{Keys: keys, Store: "shop-dk", Recorder: tracker.NewMemory()})
			require.NoError(t, err)
			assert.NotNil(t, m)
		})
	}
}
