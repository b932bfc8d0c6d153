package credit

import (
	"slices"
	"strconv"
)

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

// Reach walks out from seeds, visitors whose links changed, to every
// visitor whose group that may change: the other members of their groups
// (which a split may leave behind) and the visitors their identities link
// them to, through identities that link (used by at most r.LinkLimit
// visitors). round is the store's part: for the visitors a round reached,
// the members of their groups, and for each identity they use, by the
// store's ID of it, the visitors that use it. Reach returns every visitor
// reached, once each, and the links it found, for Components.
func (r Rules) Reach(seeds []int64, round func(fresh []int64) (members []int64, users map[int64][]int64, err error)) (all []int64, links []Link, err error) {
	limit := r.WithDefaults().LinkLimit
	in := make(map[int64]bool)
	seen := make(map[int64]bool) // identities
	queue := seeds
	for len(queue) > 0 {
		var fresh []int64
		for _, vid := range queue {
			if !in[vid] {
				in[vid] = true
				all = append(all, vid)
				fresh = append(fresh, vid)
			}
		}
		if len(fresh) == 0 {
			break
		}
		members, users, err := round(fresh)
		if err != nil {
			return nil, nil, err
		}
		queue = members
		for iid, vids := range users {
			if seen[iid] {
				continue
			}
			seen[iid] = true
			for _, vid := range vids {
				links = append(links, Link{Visitor: vid, Identity: strconv.FormatInt(iid, 10)})
				if len(vids) <= limit {
					queue = append(queue, vid)
				}
			}
		}
	}
	return all, links, nil
}

// GroupIn is the group of vid after Components returned comp: its
// component, or itself when it has no links.
func GroupIn(comp map[int64]int64, vid int64) int64 {
	if g, ok := comp[vid]; ok {
		return g
	}
	return vid
}

// Parts numbers the groups visitors fall into after a regroup, for Regroup:
// gids are the groups, in the order vids first meet them (group gives a
// visitor's), and partOf a visitor's index into gids.
func Parts(vids []int64, group func(vid int64) int64) (gids []int64, partOf map[int64]int) {
	index := make(map[int64]int) // gid → part
	partOf = make(map[int64]int, len(vids))
	for _, vid := range vids {
		gid := group(vid)
		i, ok := index[gid]
		if !ok {
			i = len(gids)
			index[gid] = i
			gids = append(gids, gid)
		}
		partOf[vid] = i
	}
	return gids, partOf
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
