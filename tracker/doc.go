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
// A Tracker stamps each event with an ID (an xid), the store, the visitor and
// the time, validates it (errors are sentinels such as ErrNoLabels; use
// errors.Is) and hands it to a Recorder: normally a Queue, which batches and
// retries delivery into a Sink such as the tracker/sqlite store. A disabled
// tracker (the visitor refused tracking, or a bot) records nothing.
package tracker
