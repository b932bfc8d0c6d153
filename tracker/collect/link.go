package collect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/visitrack/visitrack/tracker"
)

// A signed click link is Path + "/click?" and these query parameters:
//
//	to  the target, a local path
//	p   the product
//	a   the API, if any
//	l   a label, once per label, in order
//	n   the position, 1-based, if known
//	x   "1" for an external click
//	s   the signature
//
// The signature is the first 16 bytes of HMAC-SHA256, under a key derived
// from a hash key of Config.Keys, over a canonical encoding of the other
// parameters (each length-prefixed, so that no two clicks encode alike),
// in unpadded base64url. Parameters other than these (an email tool's
// utm_source, say) are ignored; one of these given twice (but "l") makes
// the link invalid.
const (
	linkDomain = "visitrack/collect click link v1\x00"
	sigBytes   = 16
)

// linkKey derives the key links are signed with from a hash key, so that
// no link signature is ever valid as a cookie's, or the reverse.
func linkKey(hashKey []byte) []byte {
	m := hmac.New(sha256.New, hashKey)
	m.Write([]byte("visitrack/collect: click link key"))
	return m.Sum(nil)
}

// canonical is the byte string a link's signature covers.
func canonical(target string, c *tracker.Click) []byte {
	b := make([]byte, 0, len(linkDomain)+len(target)+len(c.Product)+len(c.API)+64)
	b = append(b, linkDomain...)
	field := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	field(target)
	field(c.Product)
	field(c.API)
	b = binary.AppendUvarint(b, uint64(len(c.Labels)))
	for _, l := range c.Labels {
		field(l)
	}
	b = binary.AppendUvarint(b, uint64(max(c.Position, 0)))
	if c.External {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return b
}

func sign(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)[:sigBytes]
}

// Link returns a link that, followed, records click c for the visitor who
// follows it and redirects (303) to target, a path on this site such as
// "/products/12793" (ErrTarget otherwise: no scheme, host or backslash). It
// is signed with the first key of Config.Keys (ErrNoKeys without one), so
// that a link whose parameters were changed, or made up, records nothing
// and redirects to "/". It returns the *tracker.FieldError the tracker
// would for a click it refuses, so that a bad link fails where it is made.
//
// A link holds no visitor: whoever follows it is the visitor the
// middleware gives the request, and a disabled one is redirected without
// a record. Links do not expire; they stop verifying once their key pair
// is removed from Config.Keys.
func (h *Handler) Link(target string, c tracker.Click) (string, error) {
	if len(h.keys) == 0 {
		return "", ErrNoKeys
	}
	if !localPath(target) {
		return "", ErrTarget
	}
	if err := h.validator.Click(c); err != nil {
		return "", err
	}
	q := make(url.Values, 7)
	q.Set("to", target)
	q.Set("p", c.Product)
	if c.API != "" {
		q.Set("a", c.API)
	}
	if len(c.Labels) > 0 {
		q["l"] = c.Labels
	}
	if c.Position > 0 {
		q.Set("n", strconv.Itoa(c.Position))
	}
	if c.External {
		q.Set("x", "1")
	}
	q.Set("s", base64.RawURLEncoding.EncodeToString(sign(h.keys[0], canonical(target, &c))))
	return h.cfg.Path + "/click?" + q.Encode(), nil
}

// follow records the click of a signed link and redirects to its target;
// a link that does not verify records nothing and redirects to "/".
func (h *Handler) follow(w http.ResponseWriter, r *http.Request) {
	target := "/"
	if to, c, ok := h.verify(r.URL.RawQuery); ok {
		target = to
		if r.Method == http.MethodGet {
			if err := tracker.From(r.Context()).Click(c); err != nil {
				h.log.WarnContext(r.Context(), "collect: a link's click was not recorded", "err", err)
			}
		}
	} else {
		h.log.DebugContext(r.Context(), "collect: a click link did not verify")
	}
	hdr := w.Header()
	hdr.Set("Location", target)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(http.StatusSeeOther)
}

// verify reads a link's query and returns its target and click when its
// signature is valid under one of the keys.
func (h *Handler) verify(rawQuery string) (string, tracker.Click, bool) {
	var c tracker.Click
	if len(h.keys) == 0 || len(rawQuery) > int(h.cfg.MaxBodyBytes) {
		return "", c, false
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", c, false
	}
	one := func(k string, required bool) (string, bool) {
		vs := q[k]
		switch {
		case len(vs) > 1:
			return "", false
		case len(vs) == 0:
			return "", !required
		}
		return vs[0], true
	}
	target, ok1 := one("to", true)
	sig, ok2 := one("s", true)
	var ok3, ok4, ok5, ok6 bool
	c.Product, ok3 = one("p", true)
	c.API, ok4 = one("a", false)
	n, ok5 := one("n", false)
	x, ok6 := one("x", false)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || (x != "" && x != "1") {
		return "", c, false
	}
	c.Labels = q["l"]
	c.External = x == "1"
	if n != "" {
		p, err := strconv.Atoi(n)
		if err != nil || p < 1 || strconv.Itoa(p) != n {
			return "", c, false
		}
		c.Position = p
	}
	mac, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || len(mac) != sigBytes {
		return "", c, false
	}
	msg := canonical(target, &c)
	for _, k := range h.keys {
		if hmac.Equal(mac, sign(k, msg)) {
			// Signed means made by Link, which checked the target; checked
			// again all the same, since a redirect is where a mistake costs.
			return target, c, localPath(target)
		}
	}
	return "", c, false
}

// localPath reports whether p is a path on this site that a redirect may
// go to: it starts with one "/", holds no backslash, white space or
// control character, and parses without a scheme or host. "//evil.example"
// and "/\evil.example" are other sites to a browser, so are refused.
func localPath(p string) bool {
	if len(p) == 0 || len(p) > 2048 || p[0] != '/' || strings.HasPrefix(p, "//") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == '\\' || c >= 0x7f {
			return false
		}
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && strings.HasPrefix(u.Path, "/") &&
		!strings.HasPrefix(u.Path, "//")
}
