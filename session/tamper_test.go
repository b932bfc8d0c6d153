package session_test

import (
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
)

// tamperCase is a valid cookie of Persistent or CompactStore and how to read
// the ID in a cookie with another value.
type tamperCase struct {
	name  string
	value string                       // a valid cookie value
	load  func(string) (string, error) // the ID in a cookie with this value
}

func tamperCases(t *testing.T) []tamperCase {
	var cases []tamperCase
	for _, keys := range [][][]byte{{hashA}, {hashA, blockA}, {hashB, blockB, hashA, blockA}} {
		p := newPersistent(t, session.PersistentConfig{Keys: keys, Store: "s"})
		cases = append(cases, tamperCase{
			name:  "persistent",
			value: keep(t, p, session.NewID()),
			load:  func(v string) (string, error) { return load(p, v) },
		})
		c := newCompact(t, session.CompactConfig{Keys: keys, Store: "s"})
		cases = append(cases, tamperCase{
			name:  "compact",
			value: keep(t, c, session.Visit{ID: session.NewID()}),
			load: func(v string) (string, error) {
				visit, err := load(c, v)
				return visit.ID, err
			},
		})
	}
	return cases
}

func TestTamperedCookies(t *testing.T) {
	t.Parallel()
	for _, tc := range tamperCases(t) {
		want, err := tc.load(tc.value)
		require.NoError(t, err, tc.name)
		orig, err := base64.URLEncoding.DecodeString(tc.value)
		require.NoError(t, err)

		// Flip every bit of every byte of the decoded cookie: the date, the
		// value and the MAC are all covered by the signature.
		for i := range orig {
			for bit := range 8 {
				b := append([]byte(nil), orig...)
				b[i] ^= 1 << bit
				v := base64.URLEncoding.EncodeToString(b)
				_, err := tc.load(v)
				assert.ErrorIs(t, err, session.ErrInvalid, "%s: decoded byte %d bit %d", tc.name, i, bit)
			}
		}

		// Flip every bit of every character of the cookie as sent. The
		// encoding is not strict, as in securecookie: a flip in the padding
		// bits of the last character decodes to the very same bytes and
		// is accepted. Anything else is refused.
		accepted := 0
		for i := range len(tc.value) {
			for bit := range 8 {
				b := []byte(tc.value)
				b[i] ^= 1 << bit
				v := string(b)
				got, err := tc.load(v)
				if err == nil {
					dec, derr := base64.URLEncoding.DecodeString(strings.TrimRight(v, " \t"))
					require.NoError(t, derr)
					assert.Equal(t, orig, dec, "%s: accepted flip of char %d bit %d decodes differently", tc.name, i, bit)
					assert.Equal(t, want, got)
					accepted++
					continue
				}
				assert.ErrorIs(t, err, session.ErrInvalid, "%s: char %d bit %d: %q", tc.name, i, bit, v)
			}
		}
		t.Logf("%s: %d of %d flips of the sent value decode to the same bytes", tc.name, accepted, 8*len(tc.value))
		assert.LessOrEqual(t, accepted, 8, "%s: only padding bits of one character are slack", tc.name)
	}
}

func TestMalformedCookies(t *testing.T) {
	t.Parallel()
	for _, tc := range tamperCases(t) {
		raw, err := base64.URLEncoding.DecodeString(tc.value)
		require.NoError(t, err)
		date, rest, _ := strings.Cut(string(raw), "|")
		val, mac, _ := strings.Cut(rest, "|")
		enc := base64.URLEncoding.EncodeToString
		bad := map[string]string{
			"empty":              "",
			"one char":           "A",
			"huge":               strings.Repeat("A", 10*1024),
			"huge valid prefix":  tc.value + strings.Repeat("A", 10*1024),
			"not base64":         "!!!not*base64!!!",
			"std base64":         base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\xff\xfe", 40))),
			"spaces":             "   ",
			"unicode":            "ñandú-ñandú",
			"pipes only":         enc([]byte("||")),
			"no pipes":           enc([]byte("1700000000")),
			"one pipe":           enc([]byte("1700000000|abc")),
			"empty date":         enc([]byte("|" + val + "|" + mac)),
			"short mac":          enc([]byte(date + "|" + val + "|" + mac[:31])),
			"long mac":           enc([]byte(date + "|" + val + "|" + mac + "x")),
			"no mac":             enc([]byte(date + "|" + val + "|")),
			"mac from elsewhere": enc([]byte(date + "|" + val + "|" + strings.Repeat("m", 32))),
			"date swapped":       enc([]byte("1|" + val + "|" + mac)),
			"value dropped":      enc([]byte(date + "||" + mac)),
			"extra field":        enc([]byte(date + "|" + val + "|x|" + mac)),
			"unpadded":           strings.TrimRight(tc.value, "="),
			"double encoded":     enc([]byte(tc.value)),
		}
		for i := 1; i < len(tc.value); i += 7 {
			bad[fmt.Sprintf("truncated to %d", i)] = tc.value[:i]
		}
		for name, v := range bad {
			if name == "unpadded" && v == tc.value {
				continue // no padding to remove
			}
			got, err := tc.load(v)
			assert.ErrorIs(t, err, session.ErrInvalid, "%s: %s", tc.name, name)
			assert.Empty(t, got)
		}
	}
}

func TestCookieHeaderGarbage(t *testing.T) {
	t.Parallel()
	p := newPersistent(t, session.PersistentConfig{})
	c := newCompact(t, session.CompactConfig{})
	for _, h := range []string{
		"vt_id", "vt_id=", `vt_id=""`, "vt_id=;vt_s=", "vt_id=\x00\xff; vt_s=\x00",
		"vt_id=" + strings.Repeat("x", 100_000) + "; vt_s=" + strings.Repeat("=", 5000),
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", h)
		id, err := p.Load(r)
		assert.Error(t, err, "%.40q", h)
		assert.Empty(t, id)
		v, err := c.Load(r)
		assert.Error(t, err, "%.40q", h)
		assert.Empty(t, v.ID)
	}
}
