package dashboard

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// The range presets, the values of the "range" query parameter.
const (
	rangeToday     = "today"
	rangeYesterday = "yesterday"
	range7d        = "7d"
	range30d       = "30d"
	rangeMonth     = "month"
	rangeLastMonth = "last-month"
	rangeCustom    = "custom"
)

// presets are the ranges offered as links, in the order shown.
var presets = [...]struct{ key, title string }{
	{rangeToday, "Today"},
	{rangeYesterday, "Yesterday"},
	{range7d, "Last 7 days"},
	{range30d, "Last 30 days"},
	{rangeMonth, "This month"},
	{rangeLastMonth, "Last month"},
}

func isPreset(key string) bool {
	for _, p := range presets {
		if p.key == key {
			return true
		}
	}
	return false
}

// maxDays bounds a custom range.
const maxDays = 3 * 366

// dateLayout is the format of the "from" and "to" query parameters.
const dateLayout = "2006-01-02"

// errRange is a range the request asked for that cannot be shown; its text
// is for the user.
var errRange = errors.New("bad range")

// period is the range a page shows: whole days in the shop's time zone,
// [From, To), of which [From, End) is counted: End is To, or now if the
// range has not ended.
type period struct {
	Preset   string // a preset's key, or rangeCustom
	From, To time.Time
	End      time.Time
	loc      *time.Location
}

// civil is a calendar date, counted in days since 1970-01-01, in no zone.
func civil(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// midnight returns the start of the day of t, in loc, moved by days.
func midnight(t time.Time, days int, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+days, 0, 0, 0, 0, loc)
}

// parsePeriod reads the range of q: "range" names a preset, or "from" and
// "to" (YYYY-MM-DD, both days included) a custom range. Without either it
// is def.
func parsePeriod(q url.Values, def string, now time.Time, loc *time.Location) (period, error) {
	now = now.In(loc)
	today := midnight(now, 0, loc)
	key := q.Get("range")
	from, to := q.Get("from"), q.Get("to")
	if key == "" {
		key = def
		if from != "" || to != "" {
			key = rangeCustom
		}
	}
	p := period{Preset: key, loc: loc}
	switch key {
	case rangeToday:
		p.From, p.To = today, midnight(today, 1, loc)
	case rangeYesterday:
		p.From, p.To = midnight(today, -1, loc), today
	case range7d:
		p.From, p.To = midnight(today, -7, loc), today
	case range30d:
		p.From, p.To = midnight(today, -30, loc), today
	case rangeMonth:
		p.From = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
		p.To = time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, loc)
	case rangeLastMonth:
		p.From = time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, loc)
		p.To = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	case rangeCustom:
		f, err := time.ParseInLocation(dateLayout, from, loc)
		if err != nil {
			return p, fmt.Errorf("%w: the first day %q is not a date such as 2025-03-01", errRange, from)
		}
		t, err := time.ParseInLocation(dateLayout, to, loc)
		if err != nil {
			return p, fmt.Errorf("%w: the last day %q is not a date such as 2025-03-31", errRange, to)
		}
		if t.Before(f) {
			return p, fmt.Errorf("%w: the last day (%s) is before the first (%s)", errRange, to, from)
		}
		if n := civil(t) - civil(f) + 1; n > maxDays {
			return p, fmt.Errorf("%w: %d days is more than the %d a range may have", errRange, n, maxDays)
		}
		p.From, p.To = midnight(f, 0, loc), midnight(t, 1, loc)
	default:
		return p, fmt.Errorf("%w: no range is called %q", errRange, key)
	}
	p.End = p.To
	if now.Before(p.End) {
		p.End = p.From
		if now.After(p.From) {
			p.End = now
		}
	}
	return p, nil
}

// days returns the calendar days [From, End) touches.
func (p period) days() int {
	end := civil(p.End.In(p.loc))
	if !p.End.Equal(midnight(p.End, 0, p.loc)) {
		end++ // part of a day
	}
	return end - civil(p.From.In(p.loc))
}

// previous returns the period compared with: as many calendar days earlier
// as [From, End) touches, so that it ends where this one starts and lasts
// as long by the clock on the wall (a day is a day, 23 or 25 hours across a
// change of daylight saving time).
func (p period) previous() (from, end time.Time) {
	n := p.days()
	e := p.End.In(p.loc)
	return midnight(p.From, -n, p.loc),
		time.Date(e.Year(), e.Month(), e.Day()-n, e.Hour(), e.Minute(), e.Second(), e.Nanosecond(), p.loc)
}

// step is the width of a chart's buckets.
type step int

const (
	stepHour step = iota
	stepDay
	stepWeek
	stepMonth
)

// step returns the buckets' width for the range: hours up to 2 days, days
// up to 92, weeks up to 2 years, months beyond.
func (p period) step() step {
	switch n := civil(p.To.In(p.loc)) - civil(p.From.In(p.loc)); {
	case n <= 2:
		return stepHour
	case n <= 92:
		return stepDay
	case n <= 731:
		return stepWeek
	default:
		return stepMonth
	}
}

// bounds returns the bounds of the chart's buckets over [From, End): each
// starts at a whole hour, or at midnight in the shop's time zone, so that
// a day bucket lasts 23 or 25 hours across a change of daylight saving time.
// The last bucket ends at End, perhaps early.
func (p period) bounds() []time.Time {
	if !p.From.Before(p.End) {
		return nil
	}
	s := p.step()
	var out []time.Time
	for t := p.From; t.Before(p.End); {
		out = append(out, t)
		l := t.In(p.loc)
		switch s {
		case stepHour:
			t = t.Add(time.Hour)
		case stepDay:
			t = midnight(l, 1, p.loc)
		case stepWeek:
			t = midnight(l, 7, p.loc)
		default:
			t = time.Date(l.Year(), l.Month()+1, 1, 0, 0, 0, 0, p.loc)
		}
	}
	return append(out, p.End)
}
