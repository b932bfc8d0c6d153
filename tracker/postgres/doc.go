// Package postgres is visitrack's store for shops that run many instances:
// a tracker.Store on PostgreSQL (github.com/jackc/pgx/v5), with the same
// methods as tracker/sqlite's Store, that any number of instances write to
// at once.
//
//	pg, err := postgres.Open(ctx, "postgres://shop@db/visitrack")
//	if err != nil { ... }
//	defer pg.Close()
//	q := tracker.NewQueue(pg, tracker.QueueConfig{})
//
// The rules it applies are those of package tracker/credit, checked by the
// same conformance suite and reference model as the SQLite store
// (tracker/storetest); what both stores do the same way is in
// tracker/credit (a batch through the rules, reports from a snapshot) and
// tracker/internal/storekit (plumbing without rules). The schema is in migrations/, applied by Open under
// an advisory lock so that instances starting together migrate once.
//
// # Concepts
//
//   - Events, partitioned by month of their time, so that Purge drops whole
//     partitions; times are microseconds; indexes find a visitor's events
//     and a store's events by time. A write claims its events' IDs in a
//     table of IDs first, so that each is stored once per store.
//   - Groups of linked visitors, each with an advisory lock and a version.
//     A write locks the groups its events touch, in order (a write that must
//     lock more later, as when a link joins groups, may meet another in a
//     deadlock: PostgreSQL breaks it and the write runs again), resolves
//     credit with tracker/credit against the group's events, and bumps the
//     versions of the groups it changed.
//   - The memory budget: a Store keeps the groups it wrote lately, within
//     Config.MemoryBudget, and reads a group again when its version says
//     another Store wrote it since. Instances behind a load balancer that
//     sends a visitor to the same instance (sticky sessions) read least.
//   - Sales: a table holds, per sale ID, the copy that counts; its rows are
//     locked while a write decides between copies.
//   - Counters per store, label and hour, in shards: each Store adds to its
//     own, so that concurrent writers seldom wait for each other's rows.
//     Reports sum every shard for the whole hours of a range and read the
//     events for its ragged ends, in one repeatable-read transaction
//     (credit.Reports does the adding up).
//
// # Erasure and retention
//
// Forget erases an email and the visitors linked to it (their sales stay as
// anonymous totals) and then vacuums the tables it changed; see Forget for
// what PostgreSQL keeps afterwards. Purge drops whole monthly partitions
// older than its cut, and the rows before it of the month it cuts.
package postgres
