package sqlite

import (
	"database/sql"
	"errors"
	"slices"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

// link records the identities the batch's email links and sales name, and
// regroups visitors where a new link joins groups or makes an identity
// shared (credit.Rules.LinkLimit).
func (b *batch) link() error {
	type pair struct{ iid, vid int64 }
	last := make(map[pair]int64)
	var pairs []pair
	use := func(p *pending, key string) error {
		id, err := b.identity(p.Store, key)
		if err != nil {
			return err
		}
		k := pair{id.iid, p.v.vid}
		t, ok := last[k]
		if !ok {
			pairs = append(pairs, k)
		}
		last[k] = max(t, credit.Micros(p.Event.Time))
		return nil
	}
	for _, p := range b.evs {
		var err error
		switch {
		case p.Event.Kind == tracker.KindEmail:
			err = use(p, "e:"+p.Event.Email)
		case p.Event.Kind == tracker.KindSale:
			if p.Event.Email != "" {
				err = use(p, "e:"+p.Event.Email)
			}
			if err == nil && p.Event.Customer != "" {
				err = use(p, "c:"+p.Event.Customer)
			}
		}
		if err != nil {
			return err
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	arg := make([][2]int64, len(pairs))
	for i, p := range pairs {
		arg[i] = [2]int64{p.iid, p.vid}
	}
	known := make(map[pair]bool)
	rows, err := b.stmt(qKnownLinks).QueryContext(b.ctx, string(mustJSON(arg)))
	if err != nil {
		return err
	}
	for rows.Next() {
		var k pair
		if err := rows.Scan(&k.iid, &k.vid); err != nil {
			rows.Close()
			return err
		}
		known[k] = true
	}
	if err := rows.Close(); err != nil {
		return err
	}
	// Seeds of regrouping, by store: a new link to an identity that others
	// use already joins groups, or, once too many use it, splits them.
	seeds := make(map[int64][]int64)
	limit := int64(b.m.rules.LinkLimit)
	args := make([]any, 0, 3*len(pairs))
	for _, k := range pairs {
		args = append(args, k.iid, k.vid, last[k])
		if known[k] {
			continue
		}
		u := b.identUse(k.iid)
		u.id.visitors++
		if n := u.id.visitors; n >= 2 && n <= limit+1 {
			seeds[u.key.sid] = append(seeds[u.key.sid], k.vid)
			others, err := b.linkVisitors(k.iid)
			if err != nil {
				return err
			}
			seeds[u.key.sid] = append(seeds[u.key.sid], others...)
		}
	}
	if err := b.tx.exec(b.ctx, &b.s.st.links, args); err != nil {
		return err
	}
	for sid, vids := range seeds {
		if err := b.regroup(sid, vids); err != nil {
			return err
		}
	}
	return nil
}

// identity returns the identity of key in store sid, adding it.
func (b *batch) identity(sid int64, key string) (*identity, error) {
	k := identKey{sid, key}
	if id := b.m.idents[k]; id != nil {
		b.iids[id.iid] = k
		return id, nil
	}
	id := &identity{}
	err := b.stmt(qIdentities).QueryRowContext(b.ctx, sid, `[`+quoteJSON(key)+`]`).Scan(&id.iid, new(string), &id.visitors)
	if errors.Is(err, sql.ErrNoRows) {
		id.iid = b.nextIid
		if _, err = b.stmt(qAddIdentity).ExecContext(b.ctx, id.iid, sid, key, 0); err == nil {
			b.nextIid++
		}
	}
	if err != nil {
		return nil, err
	}
	b.m.idents[k] = id
	b.iids[id.iid] = k
	return id, nil
}

// identUse returns the identity with iid among those the batch uses, noting
// that its count changes.
func (b *batch) identUse(iid int64) *identUse {
	for _, u := range b.idents {
		if u.id.iid == iid {
			return u
		}
	}
	k := b.iids[iid] // identity() always ran first
	u := &identUse{id: b.m.idents[k], key: k}
	b.idents = append(b.idents, u)
	return u
}

func (b *batch) linkVisitors(iid int64) ([]int64, error) {
	rows, err := b.stmt(qLinkVisitors).QueryContext(b.ctx, iid)
	return collect(rows, err, scanOne[int64])
}

// regroup works out the groups of the visitors reachable from seeds, and
// where they differ from the groups the visitors are in, rebuilds those
// groups with every event of theirs and resolves their sales again.
func (b *batch) regroup(sid int64, seeds []int64) error {
	all, links, err := b.m.rules.Reach(seeds, b.reach)
	if err != nil {
		return err
	}
	comp := b.m.rules.Components(links)
	vs, err := b.m.visitorsByVid(b.ctx, b.tx, all)
	if err != nil {
		return err
	}
	changed := false
	for _, v := range vs {
		changed = changed || credit.GroupIn(comp, v.vid) != v.gid
	}
	if !changed {
		return nil
	}
	var olds []*group
	for _, v := range vs {
		g, err := b.m.groupOf(b.ctx, b.tx, v)
		if err != nil {
			return err
		}
		if !slices.Contains(olds, g) {
			if err := b.ensure(g, credit.All); err != nil {
				return err
			}
			olds = append(olds, g)
		}
	}
	vids := make([]int64, len(vs))
	for i, v := range vs {
		vids[i] = v.vid
	}
	gids, partOf := credit.Parts(vids, func(vid int64) int64 { return credit.GroupIn(comp, vid) })
	oldGroups := make([]*credit.Group, len(olds))
	for i, g := range olds {
		oldGroups[i] = g.g
		b.m.groups.Remove(g)
	}
	parts := credit.Regroup(b.m.rules, oldGroups, len(gids), func(vid int64) int { return partOf[vid] }, &b.ch)
	members := make([][]*visitor, len(gids))
	for _, v := range vs {
		members[partOf[v.vid]] = append(members[partOf[v.vid]], v)
	}
	for i, gid := range gids {
		for _, v := range members[i] {
			if v.gid != gid {
				v.gid = gid
				if _, err := b.stmt(qSetGroup).ExecContext(b.ctx, gid, v.vid); err != nil {
					return err
				}
			}
		}
		b.m.cache(gid, sid, members[i], parts[i])
	}
	return nil
}

// reach is a round of credit.Rules.Reach: the members of the groups of
// fresh, which a split may leave behind, and the users of the identities
// they use.
func (b *batch) reach(fresh []int64) (members []int64, users map[int64][]int64, err error) {
	vs, err := b.m.visitorsByVid(b.ctx, b.tx, fresh)
	if err != nil {
		return nil, nil, err
	}
	for _, v := range vs {
		g, err := b.m.groupOf(b.ctx, b.tx, v)
		if err != nil {
			return nil, nil, err
		}
		for _, mb := range g.members {
			members = append(members, mb.vid)
		}
	}
	rows, err := b.stmt(qVisitorLinks).QueryContext(b.ctx, string(mustJSON(fresh)))
	if err != nil {
		return nil, nil, err
	}
	users = make(map[int64][]int64)
	for rows.Next() {
		var iid, vid int64
		if err := rows.Scan(&iid, &vid); err != nil {
			rows.Close()
			return nil, nil, err
		}
		users[iid] = append(users[iid], vid)
	}
	return members, users, rows.Close()
}
