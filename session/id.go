package session

import "github.com/rs/xid"

// NewID returns a fresh visitor ID.
func NewID() string { return xid.New().String() }

// ValidID reports whether s is a well-formed visitor ID: an xid string of 20
// characters from 0-9 and a-v.
func ValidID(s string) bool {
	_, err := xid.FromString(s)
	return err == nil && len(s) == 20
}
