package session_test

import (
	"strings"
	"testing"

	"github.com/rs/xid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
)

func TestNewID(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 1000 {
		id := session.NewID()
		require.Len(t, id, 20)
		assert.True(t, session.ValidID(id), id)
		for _, c := range id {
			assert.True(t, c >= '0' && c <= '9' || c >= 'a' && c <= 'v', "%q in %s", c, id)
		}
		assert.False(t, seen[id], "duplicate %s", id)
		seen[id] = true
	}
}

func TestNewIDSortsByTime(t *testing.T) {
	t.Parallel()
	a := session.NewID()
	b := session.NewID()
	assert.Less(t, a, b, "xids from one process sort in creation order")
}

func TestValidID(t *testing.T) {
	t.Parallel()
	good := xid.New().String()
	require.Len(t, good, 20)

	// The last character carries only one bit of the ID's last byte: of the
	// 32 characters in 0-9a-v, only those the encoding can produce decode.
	last := good[:19]
	var okLast, badLast []string
	for _, c := range "0123456789abcdefghijklmnopqrstuv" {
		if _, err := xid.FromString(last + string(c)); err == nil {
			okLast = append(okLast, last+string(c))
		} else {
			badLast = append(badLast, last+string(c))
		}
	}
	require.NotEmpty(t, badLast, "some last characters are not valid xid")

	tests := []struct {
		id   string
		want bool
	}{
		{good, true},
		{"9m4e2mr0ui3e8a215n4g", true},
		{"", false},
		{good[:19], false},
		{good + "0", false},
		{strings.ToUpper(good), false},
		{"9M4E2MR0UI3E8A215N4G", false},
		{"9m4e2mr0ui3e8a215n4w", false}, // w is outside 0-9a-v
		{"9m4e2mr0ui3e8a215n4-", false},
		{"9m4e2mr0ui3e8a215n4 ", false},
		{" 9m4e2mr0ui3e8a215n4", false},
		{"9m4e2mr0ui3e8a215n4g\x00", false},
		{"é9m4e2mr0ui3e8a215n", false},
		{strings.Repeat("z", 20), false},
		{strings.Repeat("0", 32), false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, session.ValidID(tt.id), "%q", tt.id)
	}
	for _, id := range okLast {
		assert.True(t, session.ValidID(id), id)
	}
	for _, id := range badLast {
		assert.False(t, session.ValidID(id), "%s: last character is not xid", id)
	}
}
