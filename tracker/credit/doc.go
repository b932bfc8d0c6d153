// Package credit holds the rules of attribution that every visitrack store
// applies, independent of how the store keeps its events: which impression a
// click without labels is backtracked to, which click earns credit for a
// sale's line, which copy of a sale counts, and which visitors are linked.
//
// A store's job is storage. For each batch it finds the groups of linked
// visitors the events belong to, makes sure each Group holds the group's
// events from the time the rules need (NeedFor), adds the new events
// (AddTo), and persists what the Group reports as changed: the credit of
// clicks and sales already stored, and the counters its reports sum. What
// every store does the same way around the rules is here too, so that a
// store holds only what is particular to its database.
//
// Concepts, in the order a reader meets them:
//
//   - Rules: the attribution window (30 days by default), the lookback of
//     backtracking (the longer of 30 days and the window) and the link limit.
//   - Times are integer microseconds since the Unix epoch: the resolution of
//     every store. Events are ordered by time, then by event ID (Later).
//     Counters are kept per Hour, active visitors per Day.
//   - Labels are referred to by a LabelSet: a store's integer handle for one
//     call's list of labels; 0 means none (not tracked). Products likewise
//     by a Product handle, which a store hands out with Products.
//   - A Group holds the impressions, clicks and counted sales of one group of
//     linked visitors in one store, complete from its Low time onwards.
//   - Changes lists what adding events altered: clicks whose credit moved,
//     sales whose line credits moved.
//   - A batch: a store's record of each new event embeds a Pending, the
//     event as the rules see it. ResolveLabels, CountingCopies (which copy
//     of a sale counts), Pending.Grouped, NeedFor and AddTo take a batch
//     through the rules.
//   - Links: visitors sharing an email or customer ID are one group, unless
//     the identity is shared by more than Rules.LinkLimit visitors
//     (Components). When links change, Reach finds the visitors whose group
//     may change, Parts numbers the groups they fall into, and Regroup
//     rebuilds those groups.
//   - A Tally counts what events contribute to the counters, per store,
//     hour and label; Tally.Report and Tally.Sum add counters up.
//   - Reports answers a store's Report and tracker.Analytics from a
//     Snapshot, a store's data in one read transaction: counters for the
//     whole hours of a range, events for the rest. The drill-downs ask a
//     store for what a DrillQuery names (a label's label sets, or what each
//     query did), which it reads from indexes of its own, and count the
//     Drill it returns. Popular ranks products for a store's Popular.
//
// The package is deliberately free of storage; tracker/storetest holds a
// separate, naive reference model written from the same rules, so that a
// mistake here is caught rather than copied.
package credit
