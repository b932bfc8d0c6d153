// Package sqlite is visitrack's embedded store: a tracker.Store on SQLite
// (modernc.org/sqlite, pure Go, no cgo), the default sink of a
// tracker.Queue.
//
//	db, err := sqlite.Open(ctx, "visitrack.db")
//	if err != nil { ... }
//	defer db.Close()
//	q := tracker.NewQueue(db, tracker.QueueConfig{})
//	defer q.Close(ctx)
//	...
//	rep, err := db.Report(ctx, "shop-dk", from, to) // [from, to)
//
// The rules it applies (backtracking, linking, attribution, which copy of a
// sale counts) are those of package tracker/credit, and so is what both
// stores do the same way around them; plumbing without rules (the group
// cache, the stored JSON, the frame of each method) is shared with
// tracker/postgres through tracker/internal/storekit. This package stores
// events and what the rules made of them. The schema is schema.sql.
//
// # Concepts
//
//   - One writer per file. Open takes a lock on path-lock: a second Store on
//     the same file, in this process or another, gets ErrLocked until the
//     first is closed. Run Forget, Purge and reports through the Store the
//     server holds. Writes go through one connection, a batch per
//     transaction; reads through a pool of read-only connections, which
//     WAL mode never makes wait.
//   - Events are rows in the order they arrive, so that a batch appends to
//     a few pages. Each event ID is stored once per store, whatever its
//     kind; times are microseconds.
//   - Chains. Each row links to its visitor's previous row: on the credit
//     chain (impressions, clicks, sales, email links) and on the activity
//     chain (clicks, views, categories, searches), and carries the newest
//     time on the chain up to it (pmax). A walk back along a chain stops as
//     soon as pmax is older than what it looks for, so History and the
//     writer find a visitor's recent events without an index that every
//     write would touch at a random page.
//   - Groups and the memory budget. The writer keeps, for the groups of
//     linked visitors it has seen lately, their impressions, clicks and
//     counted sales of the last lookback (30 days), and resolves credit
//     against them with tracker/credit. A group it does not hold, or an
//     event older than what it holds, makes it walk the members' chains
//     back as far as the rules need. Config.MemoryBudget bounds all this
//     (128 MiB by default): past it the least recently used groups go, and
//     results stay the same; only writes slow down.
//   - Counters per store, label and hour (label_hours, store_hours), and
//     which visitors were active on which day (visitor_days, appended to:
//     each visitor's newest day with a row is kept with its chain heads,
//     so that only its first event of a day adds one), for dashboards:
//     Report sums them for whole hours and reads the events for the ragged
//     ends, through credit.Reports, which adds up for both stores
//     from a snapshot (one read-only transaction). When a late event changes
//     credit already counted, the write corrects the counters in the same
//     transaction. The drill-downs (a label's products and positions,
//     search insights) read their events through events_time, which holds
//     each event's kind and label set: the range's other events are passed
//     over in the index, and only the rows counted are read. (Version 3
//     gave them partial indexes of their own, which cost every write a
//     tenth of its time.)
//   - Label sets and identities: a call's labels are stored once as a label
//     set; emails and customer IDs as identities, linked to the visitors
//     that used them. Visitors sharing an identity are one group, unless
//     more than Rules.LinkLimit visitors use it.
//   - Tombstones: a forgotten or purged event that must still be known
//     keeps its ID, kind and time, and nothing personal.
//
// # Erasure and retention
//
// Forget erases an email, the visitors linked to it, and every email and
// customer ID only they used; their sales stay as anonymous totals. Every
// connection runs with secure_delete and Forget truncates the write-ahead
// log, so the erased bytes leave the files. Purge deletes old events and
// the visitors, emails and customer IDs left without one; events older
// than its cut are not stored again. PurgeEvery runs it on a schedule:
//
//	go db.PurgeEvery(ctx, time.Hour, 395*24*time.Hour) // keep 13 months
package sqlite
