package tracker

import "errors"

// Validation errors. A Tracker's methods and Event.Validate return them in
// a *FieldError that names the field; test with errors.Is.
var (
	// ErrNoLabels: a call needs at least one non-empty label.
	ErrNoLabels = errors.New("tracker: at least one non-empty label is required")
	// ErrNoAPI: a call needs the name of the API endpoint it answers.
	ErrNoAPI = errors.New("tracker: an API name is required")
	// ErrNoProduct: an impression, click, view or line needs a product ID.
	ErrNoProduct = errors.New("tracker: a product ID is required")
	// ErrNoSaleID: a sale needs its order ID.
	ErrNoSaleID = errors.New("tracker: a sale ID is required")
	// ErrNoLines: a sale needs at least one line.
	ErrNoLines = errors.New("tracker: a sale needs at least one line")
	// ErrBadQuantity: a line's quantity must be from 1 to MaxQuantity.
	ErrBadQuantity = errors.New("tracker: quantity must be 1 ≤ quantity ≤ 1e6")
	// ErrBadPrice: a line's unit price must be finite, from 0 to MaxPrice.
	ErrBadPrice = errors.New("tracker: price must be finite, 0 ≤ price ≤ 1e9")
	// ErrBadTotal: a sale's lines must be worth at most MaxSaleTotal
	// together.
	ErrBadTotal = errors.New("tracker: a sale's lines must be worth at most 1e12 together")
	// ErrBadEmail: an email address did not parse, or is longer than
	// MaxEmailBytes.
	ErrBadEmail = errors.New("tracker: invalid email address")
	// ErrEmpty: a category or search query was empty.
	ErrEmpty = errors.New("tracker: empty value")
	// ErrBadProductID: a JSON product ID was neither a string nor an
	// integer, or is longer than MaxIDBytes.
	ErrBadProductID = errors.New("tracker: product ID must be a string or an integer")
	// ErrTooLong: a text field is longer than its limit (MaxIDBytes,
	// MaxLabelBytes, ...).
	ErrTooLong = errors.New("tracker: too long")
	// ErrBadText: text is not valid UTF-8, or holds a control character.
	ErrBadText = errors.New("tracker: text must be valid UTF-8 without control characters")
	// ErrTooMany: more labels, products or lines than MaxLabels,
	// MaxProducts or MaxLines.
	ErrTooMany = errors.New("tracker: too many entries")
	// ErrFuture: an event is dated more than MaxClockSkew after the
	// receiver's clock.
	ErrFuture = errors.New("tracker: dated in the future")
	// ErrBadEvent: an event lacks its ID, store, visitor or time, or has no
	// defined kind.
	ErrBadEvent = errors.New("tracker: an event needs an ID, a store, a visitor, a time and a kind")
)
