package clerk

import (
	"strconv"
	"unicode/utf8"

	"github.com/visitrack/visitrack/tracker"
)

// Clerk's tracking endpoints, one per forwarded kind of event.
const (
	endpointClick    = "log/click"
	endpointProduct  = "log/product"
	endpointCategory = "log/category"
	endpointEmail    = "log/email"
	endpointSale     = "log/sale"
)

// endpointFor returns the endpoint an event of kind k goes to, or "" for
// kinds Clerk is not told about: impressions and searches, since Clerk
// knows what its own calls returned and what they were asked.
func endpointFor(k tracker.Kind) string {
	switch k {
	case tracker.KindClick:
		return endpointClick
	case tracker.KindView:
		return endpointProduct
	case tracker.KindCategory:
		return endpointCategory
	case tracker.KindEmail:
		return endpointEmail
	case tracker.KindSale:
		return endpointSale
	}
	return ""
}

// appendBody appends the JSON body of e's request to dst, as Clerk's API v2
// reference shapes it:
//
//	log/click     key, visitor, product, api, labels, n (Position-1, left out when unknown), external
//	log/product   key, visitor, product
//	log/category  key, visitor, category
//	log/email     key, visitor, email
//	log/sale      key, sale, products [{id, price, quantity}], customer, email, visitor
//	              (and private_key, time when the private key is configured)
//
// e is normalized and valid, and its kind one endpointFor names.
func (s *settings) appendBody(dst []byte, e *tracker.Event) []byte {
	dst = append(dst, `{"key":`...)
	dst = appendString(dst, s.Key)
	switch e.Kind {
	case tracker.KindClick:
		dst = s.appendVisitorProduct(dst, e)
		if e.API != "" {
			dst = append(dst, `,"api":`...)
			dst = appendString(dst, e.API)
		}
		if len(e.Labels) > 0 {
			dst = append(dst, `,"labels":[`...)
			for i, l := range e.Labels {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendString(dst, l)
			}
			dst = append(dst, ']')
		}
		if e.Position > 0 {
			dst = append(dst, `,"n":`...)
			dst = strconv.AppendInt(dst, int64(e.Position-1), 10)
		}
		if e.External {
			dst = append(dst, `,"external":true`...)
		}
	case tracker.KindView:
		dst = s.appendVisitorProduct(dst, e)
	case tracker.KindCategory:
		dst = appendVisitor(dst, e)
		dst = append(dst, `,"category":`...)
		dst = appendString(dst, e.Category)
	case tracker.KindEmail:
		dst = appendVisitor(dst, e)
		dst = append(dst, `,"email":`...)
		dst = appendString(dst, e.Email)
	case tracker.KindSale:
		dst = append(dst, `,"sale":`...)
		dst = appendString(dst, e.Sale)
		dst = append(dst, `,"products":[`...)
		for i, l := range e.Lines {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"id":`...)
			dst = s.appendProduct(dst, l.ID)
			dst = append(dst, `,"price":`...)
			dst = strconv.AppendFloat(dst, l.Price, 'f', -1, 64)
			dst = append(dst, `,"quantity":`...)
			dst = strconv.AppendInt(dst, int64(l.Quantity), 10)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
		if e.Customer != "" {
			dst = append(dst, `,"customer":`...)
			dst = appendString(dst, e.Customer)
		}
		if e.Email != "" {
			dst = append(dst, `,"email":`...)
			dst = appendString(dst, e.Email)
		}
		dst = appendVisitor(dst, e)
		if s.PrivateKey != "" {
			dst = append(dst, `,"private_key":`...)
			dst = appendString(dst, s.PrivateKey)
			dst = append(dst, `,"time":`...)
			dst = strconv.AppendInt(dst, e.Time.Unix(), 10)
		}
	}
	return append(dst, '}')
}

func appendVisitor(dst []byte, e *tracker.Event) []byte {
	dst = append(dst, `,"visitor":`...)
	return appendString(dst, e.Visitor)
}

func (s *settings) appendVisitorProduct(dst []byte, e *tracker.Event) []byte {
	dst = appendVisitor(dst, e)
	dst = append(dst, `,"product":`...)
	return s.appendProduct(dst, e.Product)
}

// appendProduct appends a product ID: a JSON number when NumericIDs is set
// and the ID is a non-negative integer that fits an int64 without leading
// zeros, else a string.
func (s *settings) appendProduct(dst []byte, id string) []byte {
	if s.NumericIDs && numeric(id) {
		return append(dst, id...)
	}
	return appendString(dst, id)
}

// numeric reports whether id is the canonical decimal form of an integer
// from 0 to 10¹⁸-1.
func numeric(id string) bool {
	if id == "" || len(id) > 18 || (id[0] == '0' && len(id) > 1) {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Validated text has no control
// characters, but the escapes are complete anyway: a key comes from
// configuration.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += n
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += n
			start = i
			continue
		}
		i += n
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
