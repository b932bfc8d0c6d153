package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"strconv"
	"sync"
	"time"
)

// strictURL decodes only canonical base64: securecookie writes canonical
// base64, so a value that decodes only leniently (non-zero padding bits) is
// not one it wrote. It is never modified.
var strictURL = base64.URLEncoding.Strict()

// maxCookieLen bounds the encoded cookies the codec reads. Visitrack's own
// cookies are about 120 bytes; anything near this bound is garbage.
const maxCookieLen = 1024

// codec signs and verifies cookie values in gorilla/securecookie's format with
// its NopEncoder:
//
//	base64url( date "|" base64url( [iv] payload ) "|" HMAC-SHA256(name "|" date "|" value) )
//
// where payload is AES-CTR encrypted under a random IV when the key pair has
// a block key. Decoding allocates nothing: it works in pooled scratch space.
type codec struct {
	pairs   []*keyPair // newest first; Encode uses pairs[0]
	scratch sync.Pool  // *scratch
}

type keyPair struct {
	hashKey []byte
	block   cipher.Block // nil: sign only
	macs    sync.Pool    // hash.Hash, an HMAC-SHA256 keyed with hashKey
}

type scratch struct {
	raw [maxCookieLen]byte
	dec [maxCookieLen]byte
	msg [maxCookieLen + 128]byte
	val [maxCookieLen]byte
	sum [sha256.Size]byte
	ks  [aes.BlockSize]byte
	ctr [aes.BlockSize]byte
}

// newCodec checks keys (pairs of hash key and optional block key, newest
// first) and returns a codec. field names the configuration field in errors.
func newCodec(keys [][]byte, field string) (*codec, error) {
	if len(keys) == 0 || len(keys[0]) == 0 {
		return nil, fmt.Errorf("%w: %s: at least one hash key is required", ErrKeys, field)
	}
	c := &codec{}
	c.scratch.New = func() any { return new(scratch) }
	for i := 0; i < len(keys); i += 2 {
		hk := keys[i]
		if len(hk) < 32 {
			return nil, fmt.Errorf("%w: %s[%d]: hash key is %d bytes, need at least 32", ErrKeys, field, i, len(hk))
		}
		p := &keyPair{hashKey: append([]byte(nil), hk...)}
		if i+1 < len(keys) && len(keys[i+1]) > 0 {
			bk := keys[i+1]
			switch len(bk) {
			case 16, 24, 32:
			default:
				return nil, fmt.Errorf("%w: %s[%d]: block key is %d bytes, need 16, 24 or 32 (AES-128, -192 or -256)", ErrKeys, field, i+1, len(bk))
			}
			b, err := aes.NewCipher(bk)
			if err != nil {
				return nil, fmt.Errorf("%w: %s[%d]: %v", ErrKeys, field, i+1, err)
			}
			p.block = b
		}
		key := p.hashKey
		p.macs.New = func() any { return hmac.New(sha256.New, key) }
		c.pairs = append(c.pairs, p)
	}
	return c, nil
}

// encode signs (and encrypts) payload for the cookie called name at time now.
func (c *codec) encode(name string, payload []byte, now time.Time) (string, error) {
	p := c.pairs[0]
	val := payload
	if p.block != nil {
		buf := make([]byte, aes.BlockSize+len(payload))
		if _, err := rand.Read(buf[:aes.BlockSize]); err != nil {
			return "", fmt.Errorf("session: generating IV: %w", err)
		}
		cipher.NewCTR(p.block, buf[:aes.BlockSize]).XORKeyStream(buf[aes.BlockSize:], payload)
		val = buf
	}
	enc := base64.URLEncoding
	msg := make([]byte, 0, len(name)+1+20+1+enc.EncodedLen(len(val))+1+sha256.Size)
	msg = append(msg, name...)
	msg = append(msg, '|')
	msg = strconv.AppendInt(msg, now.Unix(), 10)
	msg = append(msg, '|')
	msg = enc.AppendEncode(msg, val)
	h := p.macs.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	msg = h.Sum(append(msg, '|'))
	p.macs.Put(h)
	out := msg[len(name)+1:]
	if enc.EncodedLen(len(out)) > maxCookieLen {
		return "", fmt.Errorf("session: encoded cookie too long (%d bytes)", enc.EncodedLen(len(out)))
	}
	return enc.EncodeToString(out), nil
}

// decode verifies value as a cookie called name, checks that it was issued no
// longer than maxAge before now (0: no limit), and copies the payload into
// out. It returns the payload's length and the issue time in Unix seconds.
// A payload longer than out is ErrInvalid.
func (c *codec) decode(name, value string, now time.Time, maxAge time.Duration, out []byte) (n int, issued int64, err error) {
	if len(value) == 0 || len(value) > maxCookieLen || len(name) > 128 {
		return 0, 0, ErrInvalid
	}
	s := c.scratch.Get().(*scratch)
	defer c.scratch.Put(s)
	enc := strictURL
	raw := s.raw[:copy(s.raw[:], value)]
	dn, err := enc.Decode(s.dec[:], raw)
	if err != nil {
		return 0, 0, ErrInvalid
	}
	b := s.dec[:dn]
	i := indexPipe(b, 0)
	if i < 1 {
		return 0, 0, ErrInvalid
	}
	j := indexPipe(b, i+1)
	if j < 0 {
		return 0, 0, ErrInvalid
	}
	date, val, mac := b[:i], b[i+1:j], b[j+1:]
	if len(mac) != sha256.Size {
		return 0, 0, ErrInvalid
	}
	msg := s.msg[:0]
	msg = append(msg, name...)
	msg = append(msg, '|')
	msg = append(msg, b[:j]...)
	var pair *keyPair
	for _, p := range c.pairs {
		h := p.macs.Get().(hash.Hash)
		h.Reset()
		h.Write(msg)
		sum := h.Sum(s.sum[:0])
		p.macs.Put(h)
		if hmac.Equal(sum, mac) {
			pair = p
			break
		}
	}
	if pair == nil {
		return 0, 0, ErrInvalid
	}
	issued, ok := parseUnix(date)
	if !ok {
		return 0, 0, ErrInvalid
	}
	if maxAge > 0 && issued < now.Unix()-int64(maxAge/time.Second) {
		return 0, issued, ErrExpired
	}
	vn, err := enc.Decode(s.val[:], val)
	if err != nil {
		return 0, 0, ErrInvalid
	}
	pt := s.val[:vn]
	if pair.block != nil {
		if len(pt) <= aes.BlockSize {
			return 0, 0, ErrInvalid
		}
		copy(s.ctr[:], pt[:aes.BlockSize])
		pt = pt[aes.BlockSize:]
		ctrXOR(pair.block, s, pt)
	}
	if len(pt) > len(out) {
		return 0, 0, ErrInvalid
	}
	return copy(out, pt), issued, nil
}

// ctrXOR decrypts buf in place in counter mode, starting from the counter in
// s.ctr; the counter is a big-endian 128-bit integer, as in crypto/cipher.
func ctrXOR(b cipher.Block, s *scratch, buf []byte) {
	for len(buf) > 0 {
		b.Encrypt(s.ks[:], s.ctr[:])
		n := min(len(buf), aes.BlockSize)
		for k := 0; k < n; k++ {
			buf[k] ^= s.ks[k]
		}
		buf = buf[n:]
		for k := aes.BlockSize - 1; k >= 0; k-- {
			s.ctr[k]++
			if s.ctr[k] != 0 {
				break
			}
		}
	}
}

func indexPipe(b []byte, from int) int {
	for k := from; k < len(b); k++ {
		if b[k] == '|' {
			return k
		}
	}
	return -1
}

// parseUnix parses a non-negative decimal of at most 18 digits.
func parseUnix(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}
