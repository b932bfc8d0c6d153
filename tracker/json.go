package tracker

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ProductID is a product ID decoded from JSON that may arrive as a string
// ("12793") or as an integer (12793): both give the same ID. Shops often send
// numbers in one place and strings in another, and an ID that does not match
// is Clerk.io's most common sales-tracking failure.
type ProductID string

// UnmarshalJSON accepts a JSON string or a JSON integer of at most
// MaxIDBytes. Fractions, exponents, booleans, null, objects and arrays give
// an error wrapping ErrBadProductID; a longer ID one wrapping ErrBadProductID
// and ErrTooLong. Other rules (trimming, text without control characters)
// are the Tracker's to apply, as for IDs that do not come from JSON.
func (p *ProductID) UnmarshalJSON(b []byte) error {
	s, err := parseID(b)
	if err != nil {
		return err
	}
	*p = ProductID(s)
	return nil
}

// maxQuotedID is the longest JSON string that may hold an ID of MaxIDBytes:
// each byte written as a six-byte \u escape, and the quotes.
const maxQuotedID = 6*MaxIDBytes + 2

// parseID decodes a JSON string or integer into its string form.
func parseID(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", ErrBadProductID
	}
	if b[0] == '"' {
		if len(b) > maxQuotedID {
			// Each byte of an ID takes at most six in JSON (\u0000):
			// a string this long is refused without decoding it.
			return "", fmt.Errorf("%w: %w (more than %d bytes)", ErrBadProductID, ErrTooLong, MaxIDBytes)
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", fmt.Errorf("%w: %v", ErrBadProductID, err)
		}
		if len(s) > MaxIDBytes {
			return "", fmt.Errorf("%w: %w (%d bytes, at most %d)", ErrBadProductID, ErrTooLong, len(s), MaxIDBytes)
		}
		return s, nil
	}
	d := b
	if d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 40 || (d[0] == '0' && len(d) > 1) {
		return "", fmt.Errorf("%w: %.40q", ErrBadProductID, b)
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return "", fmt.Errorf("%w: %.40q", ErrBadProductID, b)
		}
	}
	return string(b), nil
}

// UnmarshalJSON decodes a line, accepting its "id" as a string or an integer.
func (l *Line) UnmarshalJSON(b []byte) error {
	var w struct {
		ID       ProductID `json:"id"`
		Price    float64   `json:"price"`
		Quantity int       `json:"quantity"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*l = Line{ID: string(w.ID), Price: w.Price, Quantity: w.Quantity}
	return nil
}

// UnmarshalJSON decodes a sale in Clerk.io's log/sale shape ("sale",
// "customer", "email", "products"), accepting the sale and customer IDs, and
// each product's "id", as strings or integers. A null customer is no
// customer.
func (s *Sale) UnmarshalJSON(b []byte) error {
	var w struct {
		ID ProductID `json:"sale"`
		// A pointer, so that "customer": null (a guest's order) reads as
		// no customer instead of failing the whole sale.
		Customer *ProductID `json:"customer"`
		Email    string     `json:"email"`
		Products []Line     `json:"products"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Sale{ID: string(w.ID), Email: w.Email, Products: w.Products}
	if w.Customer != nil {
		s.Customer = string(*w.Customer)
	}
	return nil
}

// UnmarshalJSON decodes a click in Clerk.io's log/click shape ("product",
// "api", "labels", "position"), accepting the product ID as a string or an
// integer.
func (c *Click) UnmarshalJSON(b []byte) error {
	var w struct {
		Product  ProductID `json:"product"`
		API      string    `json:"api"`
		Labels   []string  `json:"labels"`
		Position int       `json:"position"`
		External bool      `json:"external"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = Click{Product: string(w.Product), API: w.API, Labels: w.Labels, Position: w.Position, External: w.External}
	return nil
}
