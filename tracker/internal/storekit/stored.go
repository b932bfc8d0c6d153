package storekit

import (
	"encoding/json"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// Line is a sale's line as the stores keep it, in a JSON list.
type Line struct {
	Product  string `json:"p"`
	Price    int64  `json:"m"` // micro-units
	Quantity int64  `json:"q"`
}

// Credit is what a sale's line is credited to, as the stores keep it, in a
// JSON list parallel to the lines: the label set and the click (its time
// and event ID) it was credited for; {} when the line is not credited.
type Credit struct {
	LS int64  `json:"ls,omitempty"`
	T  int64  `json:"t,omitempty"`
	ID string `json:"id,omitempty"`
}

// DecodeLines reads a JSON list of Lines.
func DecodeLines(data []byte) ([]Line, error) {
	var lines []Line
	err := json.Unmarshal(data, &lines)
	return lines, err
}

// Activity is the history entry of a stored row of kind at t (microseconds)
// whose item is the product, category or query it was about.
func Activity(kind tracker.Kind, t int64, item string) tracker.Activity {
	a := tracker.Activity{Kind: kind, Time: time.UnixMicro(t).UTC()}
	switch kind {
	case tracker.KindClick, tracker.KindView:
		a.Product = item
	case tracker.KindCategory:
		a.Category = item
	case tracker.KindSearch:
		a.Query = item
	}
	return a
}
