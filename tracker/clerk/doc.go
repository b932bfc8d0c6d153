// Package clerk talks to Clerk.io's API v2: a Sink that forwards tracked
// events to its log/* endpoints, and a Client for its result-returning
// calls (recommendations, search) that adds the visitor and labels and
// records what the results showed.
//
//	fw, err := clerk.NewSink(clerk.Config{Key: publicKey})
//	rec := tracker.Fanout(tracker.NewQueue(db, tracker.QueueConfig{}), tracker.NewQueue(fw, tracker.QueueConfig{}))
//
//	cl := clerk.NewClient(clerk.Config{Key: publicKey})
//	res, err := cl.Call(ctx, tracker.From(r.Context()), "recommendations/trending",
//		map[string]any{"limit": 30}, "Homepage - Trending")
//
// The concepts:
//
//   - Config: the store's public key (required), its private key
//     (optional, sent only to log/sale), the API's URL, and the bounds:
//     one timeout per request, requests in flight, connections, and how
//     many acknowledged events a Sink remembers.
//   - Sink: a tracker.Sink. Each event becomes one request, shaped as
//     Clerk's reference documents it (position as the 0-indexed "n", sale
//     lines as "products" of {id, price, quantity}, the visitor ID);
//     impressions and searches are not forwarded. Give it a Queue of its
//     own, so that Clerk being slow or down never delays what the local
//     store gets. Its doc says which answers are retried, which go to
//     the Queue's OnFailure, and what idempotency means on Clerk's side.
//   - Client and Result: Call sends "key", the caller's arguments,
//     "labels" and "visitor" (null when tracking is disabled) and records
//     the returned products as shown, so that clicks on them backtrack to
//     the call in the local store too.
//   - Error: Clerk's error answer, with the HTTP status and Clerk's type
//     and message (errors.As). Keys never appear in an error or a log
//     line, nor do an event's email or customer ID.
//
// Package clerktest is a fake of the API for tests and demos.
package clerk
