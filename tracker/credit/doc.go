// Package credit holds the rules of attribution that every visitrack store
// applies, independent of how the store keeps its events: which impression a
// click without labels is backtracked to, which click earns credit for a
// sale's line, which copy of a sale counts, and which visitors are linked.
//
// A store's job is storage. For each batch it finds the groups of linked
// visitors the events belong to, makes sure each Group holds the group's
// events from the time the rules need (Need), adds the new events, and
// persists what the Group reports as changed: the credit of clicks and sales
// already stored, and the counters its reports sum.
//
// Concepts, in the order a reader meets them:
//
//   - Rules: the attribution window (30 days by default), the lookback of
//     backtracking (the longer of 30 days and the window) and the link limit.
//   - Times are integer microseconds since the Unix epoch: the resolution of
//     every store. Events are ordered by time, then by event ID (Later).
//   - Labels are referred to by a LabelSet: a store's integer handle for one
//     call's list of labels; 0 means none (not tracked).
//   - A Group holds the impressions, clicks and counted sales of one group of
//     linked visitors in one store, complete from its Low time onwards.
//   - Changes lists what adding events altered: clicks whose credit moved,
//     sales whose line credits moved.
//   - Links: visitors sharing an email or customer ID are one group, unless
//     the identity is shared by more than Rules.LinkLimit visitors (Components).
//
// The package is deliberately free of storage; tracker/storetest holds a
// separate, naive reference model written from the same rules, so that a
// mistake here is caught rather than copied.
package credit
