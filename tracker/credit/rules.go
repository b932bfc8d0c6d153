package credit

import (
	"math"
	"time"
)

// Defaults of Rules.
const (
	// DefaultWindow is how long before a sale a click still earns credit.
	DefaultWindow = 30 * 24 * time.Hour
	// MinLookback is the least time a click without labels is backtracked
	// over; the lookback is the longer of this and the window.
	MinLookback = 30 * 24 * time.Hour
	// DefaultLinkLimit is how many visitors may share one email or customer
	// ID before it stops linking them.
	DefaultLinkLimit = 50
)

// Rules are the parameters of attribution. The zero value holds the
// defaults.
type Rules struct {
	// Window is how long before a sale a click on one of its products
	// still earns credit: a click at c credits a sale at s when
	// s − Window ≤ c ≤ s. Zero or negative means DefaultWindow.
	Window time.Duration
	// LinkLimit: an email address or customer ID used by more than
	// LinkLimit visitors of a store (a shop that sends customer "guest",
	// a shared family address) links none of them. Zero or negative means
	// DefaultLinkLimit.
	LinkLimit int
}

// WithDefaults returns r with every zero field set to its default.
func (r Rules) WithDefaults() Rules {
	if r.Window <= 0 {
		r.Window = DefaultWindow
	}
	if r.LinkLimit <= 0 {
		r.LinkLimit = DefaultLinkLimit
	}
	return r
}

// WindowMicros is the window in microseconds.
func (r Rules) WindowMicros() int64 { return r.WithDefaults().Window.Microseconds() }

// LookbackMicros is how far before a click backtracking looks, in
// microseconds: the longer of MinLookback and the window.
func (r Rules) LookbackMicros() int64 {
	return max(MinLookback, r.WithDefaults().Window).Microseconds()
}

// Micros converts t to the stores' resolution: microseconds since the Unix
// epoch, rounded down.
func Micros(t time.Time) int64 {
	us := t.UnixMicro()
	return us
}

// CeilMicros converts the bound of a half-open range to microseconds so that
// an event at microsecond m lies in [from, to) exactly when
// CeilMicros(from) ≤ m < CeilMicros(to). A time beyond what int64
// microseconds hold (about 292,000 years either side of 1970) gives the
// largest or smallest of them.
func CeilMicros(t time.Time) int64 {
	switch {
	case t.After(maxMicros):
		return math.MaxInt64
	case t.Before(minMicros):
		return math.MinInt64
	}
	us := t.UnixMicro()
	if t.Sub(time.UnixMicro(us)) > 0 {
		us++
	}
	return us
}

// The times int64 microseconds since the Unix epoch hold.
var maxMicros, minMicros = time.UnixMicro(math.MaxInt64), time.UnixMicro(math.MinInt64)

// Later reports whether the event at time t1 with ID id1 comes after the one
// at t2 with id2: by time, and between events of the same time by ID. It is
// the order in which "latest" is meant everywhere.
func Later(t1 int64, id1 string, t2 int64, id2 string) bool {
	if t1 != t2 {
		return t1 > t2
	}
	return id1 > id2
}

// Counts reports whether a copy of a sale (time t1, event ID id1) counts
// instead of another copy with the same sale ID (t2, id2): the earliest copy
// counts, and between copies of the same time, the smaller event ID. Which
// copy counts therefore never depends on the order they arrive in.
func Counts(t1 int64, id1 string, t2 int64, id2 string) bool {
	return Later(t2, id2, t1, id1)
}

// HourMicros and DayMicros are an hour and a day in microseconds.
const (
	HourMicros = int64(time.Hour / time.Microsecond)
	DayMicros  = 24 * HourMicros
)

// Hour is the hour, in hours since the Unix epoch, a time in microseconds
// falls in: stores keep counters per hour.
func Hour(us int64) int64 { return floorDiv(us, HourMicros) }

// Day is the UTC day, in days since the Unix epoch, a time in microseconds
// falls in: stores note which visitors were active on which day.
func Day(us int64) int64 { return floorDiv(us, DayMicros) }

// ceilDiv is a / b rounded up, b > 0, without overflow.
func ceilDiv(a, b int64) int64 {
	if a%b > 0 {
		return a/b + 1
	}
	return a / b
}

// floorDiv is a / b rounded down, also for negative a.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
