package consent

import (
	"errors"
	"fmt"
	"strings"
)

// State is how far a visitor may be tracked. The zero value is Unknown.
type State uint8

// The consent states, from "no opinion" to "long-term cookie".
const (
	// Unknown means a hook has no opinion; the next hook decides.
	Unknown State = iota
	// Disabled means no visitor ID, no cookie and no events.
	Disabled
	// Cookieless keeps a visitor ID for the browser session only.
	Cookieless
	// Persistent keeps the same visitor ID in a long-lived first-party cookie.
	Persistent
)

// ErrBadState is returned by ParseState for text that names no state.
var ErrBadState = errors.New("consent: unknown state")

var names = [...]string{Unknown: "unknown", Disabled: "disabled", Cookieless: "cookieless", Persistent: "persistent"}

// String returns the lower-case name of s: "unknown", "disabled",
// "cookieless" or "persistent".
func (s State) String() string {
	if int(s) < len(names) {
		return names[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Valid reports whether s is one of the four defined states.
func (s State) Valid() bool { return int(s) < len(names) }

// MarshalText implements encoding.TextMarshaler with the name String
// returns. A state outside the four gives an error wrapping ErrBadState.
func (s State) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrBadState, uint8(s))
	}
	return []byte(names[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseState.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseState parses a state name, ignoring case and surrounding space. Besides
// the names String returns it accepts the words of Clerk.io's tracking API:
// "null" and "none" for Disabled, "auto" for Cookieless. Anything else gives
// Unknown and an error wrapping ErrBadState.
func ParseState(text string) (State, error) {
	t := strings.TrimSpace(text)
	for st, n := range names {
		if strings.EqualFold(t, n) {
			return State(st), nil
		}
	}
	switch {
	case strings.EqualFold(t, "null"), strings.EqualFold(t, "none"):
		return Disabled, nil
	case strings.EqualFold(t, "auto"):
		return Cookieless, nil
	}
	if len(t) > 32 {
		t = t[:32] + "…"
	}
	return Unknown, fmt.Errorf("%w: %q", ErrBadState, t)
}
