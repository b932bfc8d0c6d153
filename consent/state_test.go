package consent_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
)

// states are the four valid states.
var states = []consent.State{consent.Unknown, consent.Disabled, consent.Cookieless, consent.Persistent}

func TestStateString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    consent.State
		want string
	}{
		{consent.Unknown, "unknown"},
		{consent.Disabled, "disabled"},
		{consent.Cookieless, "cookieless"},
		{consent.Persistent, "persistent"},
		{consent.State(4), "State(4)"},
		{consent.State(255), "State(255)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.s.String())
	}
	var zero consent.State
	assert.Equal(t, consent.Unknown, zero, "the zero value is Unknown")
}

func TestStateValid(t *testing.T) {
	t.Parallel()
	for _, s := range states {
		assert.True(t, s.Valid(), s.String())
	}
	assert.False(t, consent.State(4).Valid())
	assert.False(t, consent.State(200).Valid())
}

// words are what ParseState accepts, once case and surrounding space are
// set aside: the states' names and Clerk.io's words for them.
var words = map[string]consent.State{
	"unknown": consent.Unknown, "disabled": consent.Disabled, "cookieless": consent.Cookieless,
	"persistent": consent.Persistent, "null": consent.Disabled, "none": consent.Disabled, "auto": consent.Cookieless,
}

func TestParseState(t *testing.T) {
	t.Parallel()
	for word, want := range words {
		upper, title := strings.ToUpper(word), strings.ToUpper(word[:1])+word[1:]
		for _, in := range []string{word, upper, title, "  " + word + "\t", "\n" + upper + "\r\n", " " + title + " "} {
			got, err := consent.ParseState(in)
			require.NoError(t, err, "%q", in)
			assert.Equal(t, want, got, "%q", in)
		}
	}
}

func TestParseStateBad(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", " ", "yes", "persistentx", "persist", "cookie less", "0", "1", "nil", "State(3)",
		"dis abled", "\x00", "persistent\x00", "ｐersistent", strings.Repeat("x", 1000),
	} {
		got, err := consent.ParseState(in)
		assert.Equal(t, consent.Unknown, got, "%q", in)
		require.Error(t, err, "%q", in)
		assert.True(t, errors.Is(err, consent.ErrBadState), "%q: %v", in, err)
	}
}

func TestParseStateErrorIsBounded(t *testing.T) {
	t.Parallel()
	_, err := consent.ParseState(strings.Repeat("a", 10_000))
	require.ErrorIs(t, err, consent.ErrBadState)
	assert.Less(t, len(err.Error()), 200, "a long input must not be echoed in full")
}

func TestParseStateRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range states {
		got, err := consent.ParseState(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
}

func TestMarshalText(t *testing.T) {
	t.Parallel()
	for _, s := range states {
		b, err := s.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, s.String(), string(b))

		var back consent.State
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, s, back)
	}
	_, err := consent.State(9).MarshalText()
	assert.ErrorIs(t, err, consent.ErrBadState)
}

func TestUnmarshalText(t *testing.T) {
	t.Parallel()
	s := consent.Persistent
	require.NoError(t, s.UnmarshalText([]byte(" null ")))
	assert.Equal(t, consent.Disabled, s)
	require.NoError(t, s.UnmarshalText([]byte("Auto")))
	assert.Equal(t, consent.Cookieless, s)

	s = consent.Persistent
	err := s.UnmarshalText([]byte("maybe"))
	assert.ErrorIs(t, err, consent.ErrBadState)
	assert.Equal(t, consent.Persistent, s, "a failed unmarshal leaves the state alone")
}
