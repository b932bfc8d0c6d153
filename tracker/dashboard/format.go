package dashboard

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// money is an amount in micro-units (1e-6), as stores sum it. It is shown
// and exported rounded to cents.
type money int64

// moneyOf converts a store's amount, an exact sum of micro-units.
func moneyOf(v float64) money { return money(tracker.Micros(v)) }

// cents rounds m to cents, half away from zero.
func (m money) cents() int64 {
	if m < 0 {
		return -((-int64(m) + 5000) / 10000)
	}
	return (int64(m) + 5000) / 10000
}

// decimal returns m as the exports write it: "1234.50".
func (m money) decimal() string {
	c := m.cents()
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return sign + strconv.FormatInt(c/100, 10) + "." + twoDigits(c%100)
}

// String returns m as the pages show it: "1,234.50".
func (m money) String() string {
	c := m.cents()
	sign := ""
	if c < 0 {
		sign, c = "−", -c
	}
	return sign + groupDigits(c/100) + "." + twoDigits(c%100)
}

// optMoney is an amount that may have no value, such as the average of
// no orders ("—" on a page, null in JSON, an empty cell in CSV).
type optMoney struct {
	M  money
	OK bool
}

func (o optMoney) String() string {
	if !o.OK {
		return "—"
	}
	return o.M.String()
}

// per returns m divided by n, rounded to the micro-unit, with no value
// when n is 0.
func (m money) per(n int) optMoney {
	if n == 0 {
		return optMoney{}
	}
	return optMoney{money(math.Round(float64(m) / float64(n))), true}
}

// compact formats v for a chart's scale: "950", "1.5", "12k", "2.5M".
func compact(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	case a >= 10 || a == math.Trunc(a):
		return groupDigits(int64(math.Round(v)))
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// groupDigits writes n with a comma between groups of three digits.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteString("−")
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ratio is a fraction, such as a click-through rate; OK is false when its
// denominator is 0, and the ratio has no value ("—" on a page, null in
// JSON, an empty cell in CSV).
type ratio struct {
	V  float64
	OK bool
}

func ratioOf(num, den float64) ratio {
	if den == 0 {
		return ratio{}
	}
	return ratio{num / den, true}
}

// String returns r as a percentage: two decimals below 10%, one above.
func (r ratio) String() string {
	if !r.OK {
		return "—"
	}
	return percent(r.V)
}

func percent(v float64) string {
	p := v * 100
	if math.Abs(p) < 10 {
		return strconv.FormatFloat(p, 'f', 2, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// decimal returns r as the exports write it: the fraction to 6 places.
func (r ratio) decimal() string {
	if !r.OK {
		return ""
	}
	return strconv.FormatFloat(round6(r.V), 'f', -1, 64)
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// delta is how a figure changed from the previous period, as a page shows
// it.
type delta struct {
	Text  string // "+12.3%", "−0.42 pp", "new", "—"
	Class string // "up", "down" or "flat", for colour; the text says it too
	Title string // in words, for a tooltip
}

// changeOf compares amounts or counts: the change in percent of the
// previous value, "new" when there was none before, "—" when there is none
// either way.
func changeOf(cur, prev float64) delta {
	switch {
	case prev == 0 && cur == 0:
		return delta{Text: "—", Class: "flat", Title: "none in either period"}
	case prev == 0:
		return delta{Text: "new", Class: "up", Title: "none in the previous period"}
	}
	c := (cur - prev) / prev
	d := delta{Text: signed(c*100, 1) + "%", Class: class(c)}
	if math.Round(c*1000) == 0 {
		d.Text = "±0%"
	}
	d.Title = d.Text + " compared with the previous period"
	return d
}

// pointsOf compares rates: the difference in percentage points ("pp"),
// since a change in percent of a rate reads as the rate itself; "—" when
// either has no value.
func pointsOf(cur, prev ratio) delta {
	if !cur.OK || !prev.OK {
		return delta{Text: "—", Class: "flat", Title: "no rate in one of the periods"}
	}
	c := (cur.V - prev.V) * 100
	d := delta{Text: signed(c, 2) + " pp", Class: class(c)}
	if math.Round(c*100) == 0 {
		d.Text = "±0 pp"
	}
	d.Title = d.Text + " (percentage points) compared with the previous period"
	return d
}

func class(c float64) string {
	switch {
	case c > 0:
		return "up"
	case c < 0:
		return "down"
	}
	return "flat"
}

// signed formats v with its sign, a true minus sign, and prec decimals.
func signed(v float64, prec int) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', prec, 64)
	if v < 0 && strings.Trim(s, "0.") != "" {
		return "−" + s
	}
	return "+" + s
}

// dayTitle formats a day, as in headings: "Mon 3 Mar 2025".
func dayTitle(t time.Time) string { return t.Format("Mon 2 Jan 2006") }

// spanTitle describes [from, end), whole days or not: "3 Mar – 9 Mar 2025",
// "Mon 3 Mar 2025, 00:00 – 10:30".
func spanTitle(from, end time.Time, loc *time.Location) string {
	from, end = from.In(loc), end.In(loc)
	if !from.Before(end) {
		return dayTitle(from) + " (not begun)"
	}
	whole := end.Equal(midnight(end, 0, loc))
	last := end
	if whole {
		last = midnight(end, -1, loc)
	}
	if civil(from) == civil(last) {
		if whole {
			return dayTitle(from)
		}
		return dayTitle(from) + ", 00:00 – " + end.Format("15:04")
	}
	f := "2 Jan"
	if from.Year() != last.Year() {
		f = "2 Jan 2006"
	}
	s := from.Format(f) + " – " + last.Format("2 Jan 2006")
	if !whole {
		s += ", " + end.Format("15:04")
	}
	return s
}

// bucketLabel is a short label of the bucket starting at t: for the axis
// and the chart's table.
func bucketLabel(t time.Time, s step) string {
	switch s {
	case stepHour:
		return t.Format("Jan 2 15:04 MST") // the zone tells the two 02:00s of a night apart
	case stepMonth:
		return t.Format("Jan 2006")
	}
	return t.Format("Mon Jan 2")
}

// axisLabel is a shorter one, for the few labels under a chart.
func axisLabel(t time.Time, s step) string {
	switch s {
	case stepHour:
		return t.Format("15:04")
	case stepMonth:
		return t.Format("Jan 2006")
	}
	return t.Format("Jan 2")
}
