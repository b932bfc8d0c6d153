package tracker

import "errors"

// Validation errors. Methods of Tracker wrap them with context; test with
// errors.Is.
var (
	// ErrNoLabels: a call needs at least one non-empty label.
	ErrNoLabels = errors.New("tracker: at least one non-empty label is required")
	// ErrNoAPI: a call needs the name of the API endpoint it answers.
	ErrNoAPI = errors.New("tracker: an API name is required")
	// ErrNoProduct: a click, view or line needs a product ID.
	ErrNoProduct = errors.New("tracker: a product ID is required")
	// ErrNoSaleID: a sale needs its order ID.
	ErrNoSaleID = errors.New("tracker: a sale ID is required")
	// ErrNoLines: a sale needs at least one line.
	ErrNoLines = errors.New("tracker: a sale needs at least one line")
	// ErrBadQuantity: a line's quantity must be at least 1.
	ErrBadQuantity = errors.New("tracker: quantity must be at least 1")
	// ErrBadPrice: a line's price must be a finite number, at least 0.
	ErrBadPrice = errors.New("tracker: price must be finite and not negative")
	// ErrBadEmail: an email address did not parse.
	ErrBadEmail = errors.New("tracker: invalid email address")
	// ErrEmpty: a category or search query was empty.
	ErrEmpty = errors.New("tracker: empty value")
	// ErrBadProductID: a JSON product ID was neither a string nor an integer.
	ErrBadProductID = errors.New("tracker: product ID must be a string or an integer")
)
