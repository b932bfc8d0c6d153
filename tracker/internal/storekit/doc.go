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
package storekit
