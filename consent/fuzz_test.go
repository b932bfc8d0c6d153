package consent_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/visitrack/visitrack/consent"
)

// FuzzParseState checks that ParseState never panics, that it either names
// one of the four states or fails with ErrBadState, and that what it accepts
// is one of the documented words once case and space are set aside.
func FuzzParseState(f *testing.F) {
	for w := range words {
		f.Add(w)
	}
	for _, s := range []string{"PERSISTENT", " auto\t", "\n null \r", "", "persist", "State(9)", "\xff\xfe", "ｐersistent"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := consent.ParseState(in)
		if err != nil {
			if !errors.Is(err, consent.ErrBadState) {
				t.Fatalf("ParseState(%q): error %v does not wrap ErrBadState", in, err)
			}
			if s != consent.Unknown {
				t.Fatalf("ParseState(%q) = %v with an error, want Unknown", in, s)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("ParseState(%q): error of %d bytes echoes the input", in, len(err.Error()))
			}
			return
		}
		if !s.Valid() {
			t.Fatalf("ParseState(%q) = invalid %d", in, s)
		}
		// Accepted text is a known word modulo Unicode case folding and space.
		folded := strings.ToLower(strings.TrimSpace(in))
		if want, ok := words[folded]; ok && want != s {
			t.Fatalf("ParseState(%q) = %v, want %v", in, s, want)
		}
		// The canonical name parses back to the same state.
		if back, err := consent.ParseState(s.String()); err != nil || back != s {
			t.Fatalf("ParseState(%q) = %v, which does not round trip: %v %v", in, s, back, err)
		}
	})
}

// FuzzCookieValue feeds arbitrary Cookie headers and names to CookieValue.
// It must never panic; what it finds must be literally in the header after
// the name and '='; and a cookie written in the plain form name=value among
// others is found with its exact value.
func FuzzCookieValue(f *testing.F) {
	f.Add("vt_consent=persistent", "vt_consent", "x")
	f.Add("a=1; vt_consentX=2; vt_consent=3", "vt_consent", "cookieless")
	f.Add(`vt_consent="quoted"`, "vt_consent", `"v"`)
	f.Add("__Host-vt_consent=disabled; vt_consent=persistent", "__Host-vt_consent", "")
	f.Add("vt_consent=", "vt_consent", "a=b")
	f.Add(";;; ;\t=; =x", "", "y")
	f.Add("vt_id=MTcwMDAwMDAwMHxhYmN8ZGVm; vt_s=Zm9v", "vt_s", "Zm9v")
	f.Fuzz(func(t *testing.T, header, name, value string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Cookie"] = []string{header}
		v, ok := consent.CookieValue(r, name)
		if ok {
			if !holds(header, name, v) {
				t.Fatalf("CookieValue(%q, %q) = %q, which the header does not hold", header, name, v)
			}
			if strings.Contains(v, ";") {
				t.Fatalf("CookieValue(%q, %q) = %q spans a separator", header, name, v)
			}
		} else if v != "" {
			t.Fatalf("CookieValue(%q, %q) = %q, false", header, name, v)
		}

		// A well-formed cookie is found, whatever surrounds it.
		if !plainToken(name) || !plainValue(value) {
			return
		}
		r.Header["Cookie"] = []string{"x" + name + "=1; " + name + "x=decoy", "x" + name + "=0; " + name + "=" + value + "; " + name + "=later"}
		if header != "" && !strings.Contains(header, name) {
			r.Header["Cookie"] = append([]string{header}, r.Header["Cookie"]...)
		}
		v, ok = consent.CookieValue(r, name)
		if !ok || v != value {
			t.Fatalf("CookieValue(%q, %q) = %q, %v; want %q", r.Header["Cookie"], name, v, ok, value)
		}
	})
}

// holds reports whether header has name= followed, after optional space,
// by v or by v in double quotes.
func holds(header, name, v string) bool {
	for rest := header; ; {
		i := strings.Index(rest, name+"=")
		if i < 0 {
			return false
		}
		rest = rest[i+len(name)+1:]
		after := strings.TrimLeft(rest, " \t")
		if strings.HasPrefix(after, v) || strings.HasPrefix(after, `"`+v+`"`) {
			return true
		}
	}
}

// plainToken reports whether name can be written as a cookie name that
// cannot be confused with the separators.
func plainToken(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`;="\`, c) >= 0 {
			return false
		}
	}
	return true
}

// plainValue reports whether value is written unchanged: no separator, no
// surrounding space or tab, and not wrapped in quotes.
func plainValue(value string) bool {
	if strings.ContainsRune(value, ';') || strings.TrimLeft(value, " \t") != value || strings.TrimRight(value, " \t") != value {
		return false
	}
	return !(len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"')
}
