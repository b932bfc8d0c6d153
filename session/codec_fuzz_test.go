package session

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fuzz target's configuration. The seed corpus in
// testdata/fuzz/FuzzCodecDecode was made with these keys at fuzzIssued, so
// that valid, tampered, expired and future cookies stay what they are.
var (
	fuzzNew      = [][]byte{bytes.Repeat([]byte{'N'}, 32), bytes.Repeat([]byte{'n'}, 32)} // encrypting pair
	fuzzOld      = [][]byte{bytes.Repeat([]byte{'O'}, 32), nil}                           // signing-only pair
	fuzzNow      = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	fuzzStore    = "fuzz"
	fuzzPersist  = DefaultPersistentName + "|persistent|" + fuzzStore
	fuzzCompact  = DefaultSessionName + "|cookieless|" + fuzzStore
	fuzzSeedKeys = append(append([][]byte{}, fuzzNew...), fuzzOld...)
)

func fuzzSecurecookies() []securecookie.Codec {
	var out []securecookie.Codec
	for _, pair := range [][][]byte{fuzzNew, fuzzOld} {
		s := securecookie.New(pair[0], pair[1])
		s.SetSerializer(securecookie.NopEncoder{})
		s.MaxAge(0) // the differential ignores time: securecookie's clock cannot be set
		out = append(out, s)
	}
	return out
}

// FuzzCodecDecode feeds arbitrary cookie values to Persistent.Load and
// CompactStore.Load, which must never panic and must either fail with one of
// the package's errors or return a valid ID; and it checks the codec against
// gorilla/securecookie configured identically: both accept the same values,
// with the same payload.
func FuzzCodecDecode(f *testing.F) {
	for _, s := range []string{
		"", "A", "====", "MTcwMDAwMDAwMHx8", "||||", "\x00", "\xff\xfe\xfd",
		base64.URLEncoding.EncodeToString([]byte("1773489600|AAAA|" + string(bytes.Repeat([]byte{0}, 32)))),
		base64.URLEncoding.EncodeToString([]byte("-1|AAAA|" + string(bytes.Repeat([]byte{0}, 32)))),
	} {
		f.Add(s)
	}
	now := func() time.Time { return fuzzNow }
	p, err := NewPersistent(PersistentConfig{Keys: fuzzSeedKeys, Store: fuzzStore, Now: now})
	if err != nil {
		f.Fatal(err)
	}
	c, err := NewCompactStore(CompactConfig{Keys: fuzzSeedKeys, Store: fuzzStore, Now: now})
	if err != nil {
		f.Fatal(err)
	}
	gorilla := fuzzSecurecookies()
	f.Fuzz(func(t *testing.T, value string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", "a=b; "+DefaultPersistentName+"="+value+"; "+DefaultSessionName+"="+value)
		id, err := p.Load(r)
		checkLoad(t, "Persistent", id, err)
		visit, err := c.Load(r)
		checkLoad(t, "CompactStore", visit.ID, err)

		for _, name := range []string{fuzzPersist, fuzzCompact} {
			var out [maxCookieLen]byte
			n, _, ours := p.codec.decode(name, value, fuzzNow, 0, out[:])
			var theirs []byte
			gerr := securecookie.DecodeMulti(name, value, &theirs, gorilla...)
			switch {
			case ours == nil && gerr != nil:
				t.Fatalf("%s: we accept %q (payload %x), securecookie does not: %v", name, value, out[:n], gerr)
			case ours != nil && gerr == nil:
				if laxerThanUs(value) {
					return
				}
				t.Fatalf("%s: securecookie accepts %q (payload %x), we do not: %v", name, value, theirs, ours)
			case ours == nil && !bytes.Equal(out[:n], theirs):
				t.Fatalf("%s: %q: payload %x, securecookie %x", name, value, out[:n], theirs)
			}
		}
	})
}

func checkLoad(t *testing.T, what, id string, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) && !errors.Is(err, ErrNoCookie) {
			t.Fatalf("%s.Load: unexpected error %v", what, err)
		}
		if id != "" {
			t.Fatalf("%s.Load: ID %q with error %v", what, id, err)
		}
		return
	}
	if !ValidID(id) {
		t.Fatalf("%s.Load: invalid ID %q", what, id)
	}
}

// laxerThanUs reports whether a value that securecookie accepts and the
// codec refuses is one of the harmless differences, both about values only a
// holder of the key can make, and neither ever written by either encoder:
//
//   - longer than maxCookieLen (1024) bytes: securecookie reads up to 4096;
//     visitrack's cookies are about 120 bytes;
//   - a timestamp strconv.ParseInt takes and we do not: a sign, more than 18
//     digits;
//   - base64 that decodes only leniently (non-zero padding bits), outside or
//     inside: securecookie is lenient, the codec strict.
func laxerThanUs(value string) bool {
	if len(value) > maxCookieLen {
		return true
	}
	b, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		return false
	}
	if _, err := strictURL.DecodeString(value); err != nil {
		return true
	}
	date, rest, _ := bytes.Cut(b, []byte("|"))
	if _, ok := parseUnix(date); !ok {
		return true
	}
	if val, _, ok := bytes.Cut(rest, []byte("|")); ok {
		if _, err := strictURL.DecodeString(string(val)); err != nil {
			return true
		}
	}
	return false
}

// TestFuzzSeedCorpus checks that the seed corpus still holds what its file
// names say, so that fuzzing starts from cookies that reach every check.
func TestFuzzSeedCorpus(t *testing.T) {
	t.Parallel()
	want := map[string]error{
		"persistent-valid-encrypted":       nil,
		"persistent-valid-signed-old-pair": nil,
		"persistent-expired":               ErrExpired,
		"persistent-other-store":           ErrInvalid,
		"persistent-truncated":             ErrInvalid,
		"persistent-tampered-middle":       ErrInvalid,
		"persistent-tampered-mac":          ErrInvalid,
		"persistent-tampered-date":         ErrInvalid,
		"securecookie-valid-xid":           ErrInvalid, // made on securecookie's wall clock, after fuzzNow: from the future
		"securecookie-not-xid":             ErrInvalid,
		"securecookie-wrong-key":           ErrInvalid,
		"compact-valid-refresh":            nil,
		"compact-valid-signed-old-pair":    nil,
		"compact-idle-expired":             ErrExpired,
		"compact-past-cap":                 ErrExpired,
		"compact-from-the-future":          ErrInvalid,
		"compact-created-in-future":        ErrInvalid,
		"securecookie-compact-bad-varint":  ErrInvalid,
	}
	now := func() time.Time { return fuzzNow }
	p, err := NewPersistent(PersistentConfig{Keys: fuzzSeedKeys, Store: fuzzStore, Now: now})
	require.NoError(t, err)
	c, err := NewCompactStore(CompactConfig{Keys: fuzzSeedKeys, Store: fuzzStore, Now: now})
	require.NoError(t, err)
	for name, wantErr := range want {
		b, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzCodecDecode", name))
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		require.Len(t, lines, 2, name)
		require.Equal(t, "go test fuzz v1", lines[0])
		value, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
		require.NoError(t, err, name)

		r := httptest.NewRequest(http.MethodGet, "/", nil)
		var id string
		if strings.HasPrefix(name, "compact-") || strings.Contains(name, "-compact-") {
			r.Header.Set("Cookie", DefaultSessionName+"="+value)
			var v Visit
			v, err = c.Load(r)
			id = v.ID
			if name == "compact-valid-refresh" {
				assert.True(t, v.Refresh, name)
			}
		} else {
			r.Header.Set("Cookie", DefaultPersistentName+"="+value)
			id, err = p.Load(r)
		}
		if wantErr == nil {
			assert.NoError(t, err, name)
			assert.True(t, ValidID(id), name)
		} else {
			assert.ErrorIs(t, err, wantErr, name)
		}
	}
}
