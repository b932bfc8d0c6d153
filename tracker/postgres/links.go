package postgres

import (
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

// link records the identities the batch's email links and sales name, and
// regroups visitors where a new link joins groups or makes an identity
// shared (credit.Rules.LinkLimit). It locks each identity it links to, so
// that two writers linking new visitors to one identity at once do not
// miss each other's link.
func (b *batch) link() error {
	type use struct {
		sid       int64
		key       string
		vid, last int64
	}
	var uses []use
	for _, p := range b.evs {
		t := credit.Micros(p.Event.Time)
		switch p.Event.Kind {
		case tracker.KindEmail:
			uses = append(uses, use{p.Store, "e:" + p.Event.Email, p.v.vid, t})
		case tracker.KindSale:
			if p.Event.Email != "" {
				uses = append(uses, use{p.Store, "e:" + p.Event.Email, p.v.vid, t})
			}
			if p.Event.Customer != "" {
				uses = append(uses, use{p.Store, "c:" + p.Event.Customer, p.v.vid, t})
			}
		}
	}
	if len(uses) == 0 {
		return nil
	}
	keys := make(map[int64][]string)
	for _, u := range uses {
		if _, ok := b.m.idents[nameKey{u.sid, u.key}]; !ok && !slices.Contains(keys[u.sid], u.key) {
			keys[u.sid] = append(keys[u.sid], u.key)
		}
	}
	for sid, ks := range keys {
		if _, err := b.tx.Exec(b.ctx, `INSERT INTO identities (sid, key) SELECT $1, unnest($2::text[]) ON CONFLICT (sid, key) DO NOTHING`, sid, ks); err != nil {
			return err
		}
		rows, _ := b.tx.Query(b.ctx, `SELECT iid, key FROM identities WHERE sid = $1 AND key = ANY($2)`, sid, ks)
		var iid int64
		var key string
		if _, err := pgx.ForEachRow(rows, []any{&iid, &key}, func() error {
			b.m.idents[nameKey{sid, key}] = iid
			return nil
		}); err != nil {
			return err
		}
	}
	type pair struct{ iid, vid int64 }
	last := make(map[pair]int64)
	var pairs []pair
	sidOf := make(map[int64]int64)
	for _, u := range uses {
		k := pair{b.m.idents[nameKey{u.sid, u.key}], u.vid}
		t, ok := last[k]
		if !ok {
			pairs = append(pairs, k)
		}
		last[k] = max(t, u.last)
		sidOf[k.iid] = u.sid
	}
	locks := make([]int64, 0, len(pairs))
	for _, k := range pairs {
		locks = append(locks, identityKey(k.iid))
	}
	if err := b.lock(locks...); err != nil {
		return err
	}
	iids, vids, lasts := make([]int64, len(pairs)), make([]int64, len(pairs)), make([]int64, len(pairs))
	for i, k := range pairs {
		iids[i], vids[i], lasts[i] = k.iid, k.vid, last[k]
	}
	rows, _ := b.tx.Query(b.ctx, `INSERT INTO links (iid, vid, last) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
		ON CONFLICT (iid, vid) DO UPDATE SET last = greatest(links.last, excluded.last)
		RETURNING iid, (xmax = 0)`, iids, vids, lasts)
	var joined []int64            // identities that gained visitors
	gained := make(map[int64]int) // how many
	var iid int64
	var inserted bool
	if _, err := pgx.ForEachRow(rows, []any{&iid, &inserted}, func() error {
		if inserted {
			if gained[iid] == 0 {
				joined = append(joined, iid)
			}
			gained[iid]++
		}
		return nil
	}); err != nil {
		return err
	}
	if len(joined) == 0 {
		return nil
	}
	// A new link to an identity others use already joins groups, or, once
	// too many use it, splits them.
	users := make(map[int64][]int64)
	rows, _ = b.tx.Query(b.ctx, `SELECT iid, vid FROM links WHERE iid = ANY($1)`, joined)
	var vid int64
	if _, err := pgx.ForEachRow(rows, []any{&iid, &vid}, func() error {
		users[iid] = append(users[iid], vid)
		return nil
	}); err != nil {
		return err
	}
	// The identity links its visitors now if n ≤ LinkLimit, and linked those
	// it had before if they were no more than that: either way, groups
	// change once it has two.
	seeds := make(map[int64][]int64)
	for _, iid := range joined {
		if n := len(users[iid]); n >= 2 && n-gained[iid] <= b.m.rules.LinkLimit {
			seeds[sidOf[iid]] = append(seeds[sidOf[iid]], users[iid]...)
		}
	}
	for sid, vs := range seeds {
		if err := b.regroup(sid, vs); err != nil {
			return err
		}
	}
	return nil
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
	newGid := func(vid int64) int64 { return credit.GroupIn(comp, vid) }
	changed := false
	for _, vid := range all {
		changed = changed || newGid(vid) != b.byVid[vid].gid
	}
	if !changed {
		return nil
	}
	var oldGids []int64
	for _, vid := range all {
		if g := b.byVid[vid].gid; !slices.Contains(oldGids, g) {
			oldGids = append(oldGids, g)
			b.groupSids[g] = sid
		}
	}
	if err := b.cacheGroups(oldGids); err != nil {
		return err
	}
	needs := make(map[*group]int64)
	for _, g := range oldGids {
		needs[b.m.groups.Get(g)] = credit.All
	}
	if err := b.ensure(needs); err != nil {
		return err
	}
	gids, partOf := credit.Parts(all, newGid)
	olds := make([]*credit.Group, len(oldGids))
	for i, gid := range oldGids {
		g := b.m.groups.Get(gid)
		olds[i] = g.g
		b.m.groups.Remove(g)
		b.bump(gid, sid) // its version moves, so that other writers drop it
	}
	parts := credit.Regroup(b.m.rules, olds, len(gids), func(vid int64) int { return partOf[vid] }, &b.ch)
	members := make([][]int64, len(gids))
	for _, vid := range all {
		members[partOf[vid]] = append(members[partOf[vid]], vid)
	}
	var moveVids, moveGids []int64
	for _, vid := range all {
		if v := b.byVid[vid]; v.gid != newGid(vid) {
			v.gid = newGid(vid)
			moveVids, moveGids = append(moveVids, vid), append(moveGids, v.gid)
		}
	}
	if _, err := b.tx.Exec(b.ctx, `UPDATE visitors SET gid = x.gid FROM unnest($1::bigint[], $2::bigint[]) AS x(vid, gid)
		WHERE visitors.vid = x.vid`, moveVids, moveGids); err != nil {
		return err
	}
	for i, gid := range gids {
		if err := b.lock(groupKey(gid)); err != nil {
			return err
		}
		b.groupSids[gid] = sid
		g := b.m.cache(gid, sid, 0, members[i], parts[i])
		b.touched[g] = true
	}
	return nil
}

// reach is a round of credit.Rules.Reach: it reads the records of fresh
// and locks their groups, and returns the members of those groups, which a
// split may leave behind, and the users of the identities they use.
func (b *batch) reach(fresh []int64) (members []int64, users map[int64][]int64, err error) {
	for _, vid := range fresh {
		if _, err := b.visitorByVid(vid); err != nil {
			return nil, nil, err
		}
	}
	if err := b.lockGroupsOf(fresh); err != nil {
		return nil, nil, err
	}
	gids := make([]int64, 0, len(fresh))
	for _, vid := range fresh {
		gids = append(gids, b.byVid[vid].gid)
	}
	rows, _ := b.tx.Query(b.ctx, `SELECT vid FROM visitors WHERE gid = ANY($1)`, gids)
	if members, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return nil, nil, err
	}
	rows, _ = b.tx.Query(b.ctx, `SELECT iid, vid FROM links WHERE iid IN (SELECT iid FROM links WHERE vid = ANY($1))`, fresh)
	users = make(map[int64][]int64)
	var iid, vid int64
	_, err = pgx.ForEachRow(rows, []any{&iid, &vid}, func() error {
		users[iid] = append(users[iid], vid)
		return nil
	})
	return members, users, err
}
