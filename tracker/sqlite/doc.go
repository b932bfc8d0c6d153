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
// # Storage
//
// The database runs in WAL mode with one writer connection and a pool of
// read-only ones, so that reports never wait for writes. Its files are
// created with mode 0600. A connection of its own checkpoints the
// write-ahead log in the background, so that writes seldom copy pages into
// the database themselves. The schema is versioned (PRAGMA user_version) and
// migrated by Open.
//
// Stores and visitor IDs are stored once each and referred to by integer.
// Clicks and sales, which credit can still change, are rows of tables of
// their own. Impressions and activity (product and category views,
// searches, email links), more than three quarters of all events and
// never changed once written, are packed by each write into blobs of up to
// 4,096 events, with their IDs in tables of their own. Everything is kept in
// the order it arrives, so that a batch appends to a few pages rather than
// touching a page for each visitor in it. Every event ID is unique, so
// Write is idempotent, and a sale ID is unique per store. Write finds the
// clicks and sales it already has with a query each; the IDs of
// impressions and activity it simply inserts, and looks for the known ones
// only when some were. It stores a visitor ID only along with a new event
// of that visitor.
//
// Write resolves credit as events arrive: a click without labels is
// backtracked to the latest impression of its product for its visitor
// within the lookback (MinLookback, or the attribution window if longer); a
// sale's lines are credited to the labels of the latest credited click on
// the product by any of the sale's linked visitors within the attribution
// window. A late event re-resolves what it affects (a late impression the
// clicks after it, a late click the sales after it, a new email or customer
// link every sale of the visitors it joins), so results do not depend on
// the order events arrive in. To do that without reading a page per
// visitor, the writer keeps an index in memory of the impressions, clicks
// and sales of the last lookback + window + one week (about 85 bytes each,
// in a few large allocations the garbage collector does not scan), and the
// groups of linked visitors; Open builds it from the file (under 2 s per
// million events on a small machine). An event that arrives more than a
// week after newer ones is stored and counted, and resolved against what
// the index still holds; sales whose window reaches back past it keep the
// credit they have. Write keeps per-hour counters as it goes, and Report
// sums those for whole hours and the events themselves only for the ragged
// ends of the range. History and Forget find a visitor's events through an
// on-disk index (vix) that Write extends every 131,072 events, in one row
// per visitor.
//
// Visitors are linked when they share an email address or a customer ID,
// directly or through other linked visitors.
//
// # Erasure and retention
//
// Forget erases an email, its customer IDs and every visitor linked to
// them; every connection runs with secure_delete and Forget truncates the
// write-ahead log, so the erased bytes leave the files. Purge deletes old
// events; PurgeEvery runs it on a schedule:
//
//	go db.PurgeEvery(ctx, time.Hour, 395*24*time.Hour) // keep 13 months
package sqlite
