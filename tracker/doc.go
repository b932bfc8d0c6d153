// Package tracker records what a webshop showed its visitors and what they
// did: labelled calls and their impressions, clicks, product and category
// views, searches, email links and sales.
//
// Handlers get the request's Tracker with From (the middleware package puts
// one in every request's context) and label every call that returns results:
//
//	t := tracker.From(r.Context())
//	call, err := t.Call("recommendations/trending", "Homepage - Trending")
//	call.Shown("12793", "8812")
//	t.Click(tracker.Click{Product: "12793"}) // backtracked to the call above
//
// The concepts, in the order a request meets them:
//
//   - Tracker: one request's recorder, from From. A disabled tracker (the
//     visitor refused tracking, a bot, or no middleware) records nothing but
//     still validates, so mistakes show in development.
//   - Call: a labelled call to an API ("recommendations/trending"); its
//     Params go with the API request, and Shown records what it showed.
//     Labels name where results appear; reports are per label.
//   - Event and its Kind: one recorded fact — an impression (KindImpression),
//     a click, a sale, a product view (KindView), a category view, a search
//     or an email link. The Tracker stamps each with an ID (an xid), the
//     store, the visitor and the time, to the microsecond.
//   - Validation: input is bounded where it enters. Text is valid UTF-8
//     without control characters, and IDs, labels, API names, emails,
//     categories, queries, lists, prices and quantities have limits
//     (MaxIDBytes, MaxLabels, MaxPrice, ...). An input that breaks one is
//     refused with a *FieldError naming the field and wrapping a sentinel
//     (ErrNoLabels, ErrTooLong, ErrBadText, ...; test with errors.Is).
//     Event.Normalize and Event.Validate apply the same rules to an event
//     that arrives from elsewhere, and Event.CheckTime refuses one dated in
//     the future.
//   - Recorder: what a Tracker hands events to, on the request path.
//   - Sink: where events are stored, a batch at a time, idempotently by
//     Event.ID.
//   - Queue: the Recorder that batches events and retries their delivery to
//     a Sink, optionally through a spool on disk (see NewQueue).
//   - Store: a Sink that also answers reports, history, email links,
//     erasure and retention; tracker/sqlite is the embedded one, and
//     tracker/storetest checks any.
//   - BatchError: a Sink's answer when it stored only part of a batch, so
//     that one bad event never costs the others.
//   - Permanent and RetryAfter: how a Sink says that retrying will not help,
//     or when to retry.
//
// Memory is a Recorder and Sink in memory, for tests and examples.
package tracker
