// Package storekit is plumbing that visitrack's stores (tracker/sqlite,
// tracker/postgres) share and that holds no rule of the domain: the rules,
// and what the stores do the same way around them, are in tracker/credit.
// The reference model of tracker/storetest may use it too, since nothing
// here decides what a figure is.
//
// Concepts, in the order a reader meets them:
//
//   - Bins and Top: counting things by key, then listing them most first
//     and cutting the list to a limit, as reports and drill-downs do.
//   - LRU and Entry: the stores' caches of groups of linked visitors, least
//     recently used first out, with the bytes they take as last measured;
//     a store's cached group embeds an Entry.
//   - Line and Credit: a sale's lines and their credit as the stores keep
//     them, in JSON.
//   - Activity: a history entry from a stored row's kind, time and item.
//   - Defaults and PurgeEvery: the settings every store's Config has, and
//     the loop that purges on a schedule.
//   - Call and Write: what a store's methods and its Write do around their
//     work (a closed store, errors wrapped with the method's name).
//   - Find, FindEmail, History, Read and Forget: those frames for methods
//     asked about names, which guard against names no store holds (not
//     Storable, or an address tracker.NormalizeEmail refuses) by answering
//     nothing rather than asking the database; History and Forget add the
//     rest of those methods' frames, Read is the one of credit.Reports.Read.
//   - Scan, Found, One and ID: reading a row that may not be there, with
//     either driver, no row being no error; Set shapes IDs read into a set.
//   - Drill: how a store's credit.Snapshot.Drill splits a drill-down into
//     its reads, so that the store supplies only their SQL.
package storekit
