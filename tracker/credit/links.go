package credit

import "slices"

// Link records that a visitor used an identity: an email address or a
// customer ID (a store keeps them apart, for example as "e:a@example.com"
// and "c:1234").
type Link struct {
	Visitor  int64
	Identity string
}

// Components groups visitors by their links: two visitors are in one group
// when they share an identity, directly or through other visitors, unless
// that identity is used by more than r.LinkLimit visitors (it links none).
// It returns each visitor's group as the smallest visitor of it; a visitor
// without links is its own group and is not in the map.
func (r Rules) Components(links []Link) map[int64]int64 {
	r = r.WithDefaults()
	byIdentity := make(map[string][]int64)
	for _, l := range links {
		byIdentity[l.Identity] = append(byIdentity[l.Identity], l.Visitor)
	}
	parent := make(map[int64]int64)
	var find func(v int64) int64
	find = func(v int64) int64 {
		p, ok := parent[v]
		if !ok || p == v {
			return v
		}
		root := find(p)
		parent[v] = root
		return root
	}
	union := func(a, b int64) {
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		if rb < ra {
			ra, rb = rb, ra
		}
		parent[rb] = ra
		parent[ra] = ra
	}
	for _, vs := range byIdentity {
		slices.Sort(vs)
		vs = slices.Compact(vs)
		if len(vs) > r.LinkLimit {
			continue
		}
		for _, v := range vs[1:] {
			union(vs[0], v)
		}
	}
	out := make(map[int64]int64, len(parent))
	for v := range parent {
		out[v] = find(v)
	}
	return out
}

// Contribution is what one counted sale adds to a store's counters: the
// order, its value, whether it is impacted, and for each label set that
// credits a line, the revenue of its lines.
type Contribution struct {
	Total    int64
	Impacted bool
	ByLabels map[LabelSet]int64
}

// Contribute returns what a sale with these lines and credit adds to the
// counters. Labels of several label sets are combined by the store: a label
// counts the order once, however many of its lines it is credited for.
func Contribute(lines []Line, credit []LineCredit) Contribution {
	var c Contribution
	for i, l := range lines {
		c.Total += l.Revenue()
		if i < len(credit) && credit[i].Labels != 0 {
			c.Impacted = true
			if c.ByLabels == nil {
				c.ByLabels = make(map[LabelSet]int64)
			}
			c.ByLabels[credit[i].Labels] += l.Revenue()
		}
	}
	return c
}
