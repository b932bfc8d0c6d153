// Package keys gives the example programs their cookie keys: from the
// VISITRACK_KEYS environment variable, or generated at start.
package keys

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// EnvVar names the environment variable that Load reads.
const EnvVar = "VISITRACK_KEYS"

// ErrBadKeys is returned for a VISITRACK_KEYS value that does not decode to
// pairs of keys.
var ErrBadKeys = errors.New("keys: " + EnvVar + " must hold hex keys in pairs, comma-separated: hash,block[,hash,block...]")

// Parse decodes s, hex keys separated by commas in pairs of a hash key and a
// block key, newest pair first. An empty block key ("hash,") means sign
// only. Key lengths are checked by middleware.New, which names the key at
// fault.
func Parse(s string) ([][]byte, error) {
	parts := strings.Split(s, ",")
	if len(parts)%2 != 0 {
		return nil, fmt.Errorf("%w: got %d values", ErrBadKeys, len(parts))
	}
	out := make([][]byte, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			if i%2 == 0 {
				return nil, fmt.Errorf("%w: hash key %d is empty", ErrBadKeys, i/2+1)
			}
			continue // sign only
		}
		k, err := hex.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("%w: value %d: %v", ErrBadKeys, i+1, err)
		}
		out[i] = k
	}
	return out, nil
}

// Generate returns one fresh pair: a 64-byte hash key and a 32-byte AES-256
// block key from crypto/rand.
func Generate() [][]byte {
	return [][]byte{random(64), random(32)}
}

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

// Load returns the keys in VISITRACK_KEYS or, when it is unset, a fresh pair,
// logging that visitor cookies will not survive a restart. Make a value with
//
//	echo "$(openssl rand -hex 64),$(openssl rand -hex 32)"
func Load(log *slog.Logger) ([][]byte, error) {
	if s, ok := os.LookupEnv(EnvVar); ok && strings.TrimSpace(s) != "" {
		return Parse(s)
	}
	log.Warn("visitrack: " + EnvVar + " is not set; using keys generated at start, so visitor cookies will not survive a restart")
	return Generate(), nil
}
