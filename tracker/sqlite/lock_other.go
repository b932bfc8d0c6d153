//go:build !unix

package sqlite

import "os"

// lockFile creates path; outside Unix the single-writer rule is not
// enforced, only documented.
func lockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
