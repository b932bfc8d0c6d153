// Package demo is what the router examples (examples/nethttp, examples/chi,
// examples/gorillamux) have in common, so that each example's main.go holds
// only what differs: how visitrack's middleware is wired into its router.
//
// It provides the two route handlers, Recommend and Click, the Store name,
// Handler, which configures visitrack's middleware the same way for every
// example:
//
//	m, err := middleware.New(middleware.Config{Keys: keys, Store: demo.Store, Recorder: rec})
//
// and hands it to the example's Routes, and Main, which runs an example: it
// loads the cookie keys and serves Handler's result with an in-memory
// recorder. An example's main.go reads
//
//	func main() { demo.Main(routes) }
//
//	func routes(m *middleware.Middleware) http.Handler {
//		// ... the router, with m.Handler wrapped around or added to it,
//		// routing GET / to demo.Recommend and POST /click to demo.Click.
//	}
//
// Package demotest checks such routes.
package demo
