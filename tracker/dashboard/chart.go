package dashboard

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// chart is a bar chart, drawn on the server as inline SVG: readable
// without JavaScript, scaled to its container by its viewBox, with a title
// and a description for screen readers and a tooltip (an SVG title) on
// every bar.
type chart struct {
	ID     string // unique in the page
	Title  string // "Orders per day"
	Values []float64
	Axis   []string // a short label per bar; the first, middle and last are drawn
	Tips   []string // a full label per bar: "Mon Mar 3: 12 orders"
	Format func(float64) string
	// Summary describes the chart in words, for its <desc>.
	Summary string
}

// figure is a chart with its caption.
type figure struct {
	Title string
	SVG   template.HTML
}

// The chart's geometry, in viewBox units: wide enough for a phone's
// width, so that its text stays readable when the SVG is scaled to fit.
const (
	chartW, chartH      = 360, 170
	plotL, plotR        = 44, 352
	plotTop, plotBottom = 12, 138
)

// SVG returns the chart's markup; every text in it is escaped.
func (c chart) SVG() template.HTML {
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, c.ID, c.ID)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, c.ID, esc(c.Title), c.ID, esc(c.Summary))
	top := 0.0
	for _, v := range c.Values {
		top = math.Max(top, v)
	}
	top = niceCeil(top)
	y := func(v float64) float64 { return plotBottom - v/top*(plotBottom-plotTop) }
	// Grid lines and their values: 0, half, top.
	for _, v := range []float64{0, top / 2, top} {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%s" y2="%s"/>`, plotL, plotR, num(y(v)), num(y(v)))
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%s" text-anchor="end">%s</text>`, plotL-4, num(y(v)+3.5), esc(c.Format(v)))
	}
	n := len(c.Values)
	if n > 0 {
		w := float64(plotR-plotL) / float64(n)
		gap := math.Min(1.5, w*0.15)
		for i, v := range c.Values {
			h := plotBottom - y(v)
			if v > 0 && h < 1 {
				h = 1 // a value that is not 0 shows
			}
			tip := ""
			if i < len(c.Tips) {
				tip = c.Tips[i]
			}
			fmt.Fprintf(&b, `<rect class="bar" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
				num(plotL+float64(i)*w+gap/2), num(plotBottom-h), num(w-gap), num(h), esc(tip))
		}
		// Labels under the first and last bars, and the middle one when
		// there is room.
		ticks := []int{0}
		if n >= 5 {
			ticks = append(ticks, (n-1)/2)
		}
		if n > 1 {
			ticks = append(ticks, n-1)
		}
		for _, i := range ticks {
			if i >= len(c.Axis) {
				continue
			}
			anchor, x := "middle", plotL+(float64(i)+0.5)*w
			switch i {
			case 0:
				anchor, x = "start", plotL
			case n - 1:
				anchor, x = "end", plotR
			}
			fmt.Fprintf(&b, `<text class="tick" x="%s" y="%d" text-anchor="%s">%s</text>`, num(x), plotBottom+16, anchor, esc(c.Axis[i]))
		}
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`, plotL, plotR, plotBottom, plotBottom)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// num formats a coordinate to one decimal, which is plenty.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// niceCeil returns the smallest of 1, 2, 2.5, 5 × 10ⁿ at least v, or 1 for
// 0: the top of a chart's scale.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}
