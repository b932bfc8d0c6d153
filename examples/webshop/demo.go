package main

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
)

// Made-up shopping, so that a new shop's dashboard has something to show
// (the -demo flag) and the README's pictures show a month rather than one
// order. Visitors go through the shop's own lists as its pages would record
// them: Trending on the home page, searches with their results, similar
// products on product pages; some click, some buy.

// demoQueries are what made-up visitors search for; the last ones find
// nothing in the catalogue.
var demoQueries = []string{"shoes", "wool", "jacket", "rain", "bag", "boot", "sneaker", "beanie", "parka", "umbrella", "sandals"}

// demoTotals counts what seedDemo recorded.
type demoTotals struct {
	Visitors, Orders int
	Revenue          int64 // micro-units
}

// seedDemo records made-up shopping into rec for store, on the days from
// first to last days before the one now is in (in loc), with the random
// source seeded by seed. Busier on weekends.
func seedDemo(rec tracker.Recorder, store string, cat *catalog, now time.Time, loc *time.Location, first, last int, seed uint64) (demoTotals, error) {
	rnd := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	var tot demoTotals
	for day := first; day >= last; day-- {
		start := today.AddDate(0, 0, -day)
		visitors := 30 + rnd.IntN(20) + day%7 // a slow upward trend
		if wd := start.Weekday(); wd == time.Saturday || wd == time.Sunday {
			visitors += 15
		}
		for v := range visitors {
			at := start.Add(time.Duration(7*60+rnd.IntN(16*60)) * time.Minute).Add(time.Duration(v) * time.Second)
			if err := demoVisit(rec, store, cat, rnd, at, &tot); err != nil {
				return tot, err
			}
		}
	}
	return tot, nil
}

// demoVisit records one made-up visit starting at at.
func demoVisit(rec tracker.Recorder, store string, cat *catalog, rnd *rand.Rand, at time.Time, tot *demoTotals) error {
	visitor := "demo" + strconv.FormatUint(rnd.Uint64()%1e16, 32)
	for len(visitor) < 20 {
		visitor += "0"
	}
	clock := at
	t := tracker.New(tracker.Options{Store: store, Visitor: visitor[:20], Consent: consent.Cookieless, Recorder: rec,
		Now: func() time.Time { return clock }})
	step := func() { clock = clock.Add(time.Duration(20+rnd.IntN(90)) * time.Second) }
	tot.Visitors++

	var basket []tracker.Line
	pick := func(ps []product, l list) error {
		if len(ps) == 0 {
			return nil
		}
		ids := make([]string, len(ps))
		for i, p := range ps {
			ids[i] = p.ID
		}
		call, err := t.Call(l.API, l.Label)
		if err != nil {
			return err
		}
		if err := call.Shown(ids...); err != nil {
			return err
		}
		if rnd.IntN(100) >= 35 {
			return nil
		}
		step()
		i := min(rnd.IntN(len(ps)), rnd.IntN(len(ps))) // the first positions draw more clicks
		p := ps[i]
		if err := t.Click(tracker.Click{Product: p.ID, API: l.API, Labels: []string{l.Label}, Position: i + 1}); err != nil {
			return err
		}
		if err := t.View(p.ID); err != nil {
			return err
		}
		if rnd.IntN(100) < 16 {
			basket = append(basket, tracker.Line{ID: p.ID, Price: p.Price, Quantity: 1 + rnd.IntN(2)})
		}
		return nil
	}

	// The home page's Trending.
	if err := pick(cat.products[:min(trendingSize, len(cat.products))], trendingList); err != nil {
		return err
	}
	// A search, its results shown by the search call.
	if rnd.IntN(100) < 45 {
		step()
		q := demoQueries[rnd.IntN(len(demoQueries))]
		results := cat.search(q, searchLimit)
		if err := t.SearchResults(q, len(results)); err != nil {
			return err
		}
		if len(results) > 0 {
			call, err := t.Call(searchList.API, searchList.Label)
			if err != nil {
				return err
			}
			ids := make([]string, len(results))
			for i, p := range results {
				ids[i] = p.ID
			}
			if err := call.ForQuery(q).Shown(ids...); err != nil {
				return err
			}
			if rnd.IntN(100) < 45 {
				i := rnd.IntN(min(3, len(results)))
				p := results[i]
				if err := t.Click(tracker.Click{Product: p.ID, API: searchList.API, Labels: []string{searchList.Label},
					Position: i + 1}); err != nil {
					return err
				}
				if rnd.IntN(100) < 20 {
					basket = append(basket, tracker.Line{ID: p.ID, Price: p.Price, Quantity: 1})
				}
			}
		}
	}
	// A product page found by browsing, with its similar products.
	if rnd.IntN(100) < 60 {
		step()
		p := cat.products[rnd.IntN(len(cat.products))]
		if err := t.View(p.ID); err != nil {
			return err
		}
		if err := pick(cat.similar(p, similarSize), similarList); err != nil {
			return err
		}
		if rnd.IntN(100) < 12 {
			basket = append(basket, tracker.Line{ID: p.ID, Price: p.Price, Quantity: 1})
		}
	}
	if len(basket) == 0 {
		return nil
	}
	step()
	sale := tracker.Sale{ID: "demo-" + visitor[4:20], Products: basket}
	if err := t.Sale(sale); err != nil {
		return err
	}
	tot.Orders++
	for _, l := range basket {
		tot.Revenue += tracker.Micros(l.Price) * int64(l.Quantity)
	}
	return nil
}
