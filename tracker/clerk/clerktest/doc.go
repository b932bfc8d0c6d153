// Package clerktest is a fake Clerk.io API v2 for tests and demos, started
// like an httptest.Server:
//
//	api := clerktest.New()
//	defer api.Close()
//	sink, err := clerk.NewSink(clerk.Config{Key: clerktest.Key, URL: api.URL})
//
// It checks every request against the shapes Clerk's API reference
// documents, not against what package clerk happens to send: the method
// (GET with query parameters, or POST with a JSON body), the public key
// ("key"; a wrong one gets HTTP 403 with a message that repeats it, as
// real APIs do, so that tests see whether a client keeps it out of its
// errors), the private key only where it is needed (log/sale with a
// "time"), each endpoint's required arguments and their types, and no
// argument the endpoint does not take. A request that breaks a rule gets
// Clerk's error shape, {"status": "error", "type", "message"}, with HTTP
// 400.
//
// Endpoints: log/click, log/product, log/category, log/email and log/sale
// answer {"status": "ok"}; recommendations/trending, /substituting and
// /complementary and search/search and /predictive answer
// {"status": "ok", "result": [IDs], "count": n} from a small catalogue
// (Options.Catalog). Every request is kept with its answer (Received,
// Accepted).
//
// Failures are injected with Fail: an HTTP status (500, 429 with a
// Retry-After, ...), {"status": "error"} with HTTP 200, slow answers, a
// hang (a Delay longer than the client waits), and dropped connections.
// Transport answers in process, for tests that run in a testing/synctest
// bubble (with Options.InProcess).
package clerktest
