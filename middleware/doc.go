// Package middleware wires visitrack into any net/http stack.
//
// For every request the middleware decides the consent state (bots get
// consent.Disabled), restores or assigns the visitor ID that state allows,
// and puts a tracker.Tracker in the request's context. Cookies are committed
// on the first WriteHeader or Write, or when the handler returns, so a
// handler can still change the consent state with SetConsent until it starts
// its response.
//
//	m, err := middleware.New(middleware.Config{
//		Keys:     [][]byte{hashKey, blockKey},
//		Store:    "shop-dk",
//		Recorder: queue,
//	})
//	http.ListenAndServe(":8080", m.Handler(mux)) // or router.Use(m.Handler)
//
// Responses that set a cookie carry Vary: Cookie and a Cache-Control
// no-cache="Set-Cookie" directive, so shared caches never hand one visitor's
// cookie to another.
//
// # Concepts
//
//   - Config: keys, store name and recorder (required), and the optional
//     consent hook, cookieless keeper, cookie names and lifetimes.
//   - New, Middleware: check a Config once; the result is shared by every request.
//   - Handler: wraps the shop's handler; a handler reads tracker.From(r.Context()).
//   - SetConsent: records the visitor's choice and applies it to this response.
//   - IsBot: the default bot matcher; bots get consent.Disabled.
//   - ErrNoStore, ErrNoRecorder: what New refuses; ErrNoMiddleware,
//     ErrCommitted: when SetConsent cannot act.
package middleware
