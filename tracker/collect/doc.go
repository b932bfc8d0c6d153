// Package collect lets the browser log what the server does not see: an
// http.Handler that takes the log/* requests a Clerk.js-style frontend
// sends, and signed click links that record a click without JavaScript.
// Both record through the request's tracker, so events carry the visitor
// ID, consent state and store the middleware gave the request.
//
//	h, err := collect.New(collect.Config{Keys: keys})             // the middleware's keys
//	mux.Handle("/visitrack/", http.StripPrefix("/visitrack", h))  // inside m.Handler
//
//	link, err := h.Link("/products/12793", tracker.Click{Product: "12793",
//		API: "recommendations/trending", Labels: []string{"Homepage - Trending"}, Position: 1})
//	// <a href="{{link}}">: following it records the click and redirects to /products/12793
//
// and in the page, with the script the handler serves:
//
//	<script src="/visitrack/collect.js" defer></script>
//	visitrack.click({product: "12793", api: "recommendations/trending", labels: ["Homepage - Trending"], n: 0})
//
// The concepts:
//
//   - Config: the keys that sign links, where the handler is mounted,
//     whether sales are accepted from the browser (not by default), the
//     body limit (16 KiB) and the cross-origin policy.
//   - Handler: the routes and Clerk's answers; see its doc. Input is
//     bounded where it enters: types are checked here, and the tracker's
//     rules (tracker.Event.Validate) decide the rest, each refusal a 400
//     naming the field. The visitor is the middleware's, never the body's.
//     A visitor whose tracking is disabled gets {"status": "ok"} and
//     nothing is recorded.
//   - Cross-origin writes: log requests, GET and POST alike, from another
//     origin are refused (http.CrossOriginProtection), so that another
//     site cannot log clicks in a visitor's name.
//   - Link: a click link signed with HMAC-SHA256 under the first key, and
//     verified under any, with the rotation rules of the visitor cookies.
//     A forged or altered link records nothing and redirects to "/"; a
//     link redirects only to a local path, so it is never an open
//     redirect.
package collect
