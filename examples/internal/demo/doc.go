// Package demo is what the router examples (examples/nethttp, examples/chi,
// examples/gorillamux) have in common, so that each example's main.go holds
// only what differs: how visitrack's middleware is wired into its router.
//
// It provides the two route handlers, Recommend and Click, the Store name to
// configure the middleware with, and Main, which runs an example: it loads
// the cookie keys, builds the example's handler with an in-memory recorder
// and serves it. An example's main.go reads
//
//	func main() { demo.Main(newHandler) }
//
//	func newHandler(keys [][]byte, rec tracker.Recorder) (http.Handler, error) {
//		m, err := middleware.New(middleware.Config{Keys: keys, Store: demo.Store, Recorder: rec})
//		if err != nil {
//			return nil, err
//		}
//		// ... the router, with m's Handler wrapped around or added to it,
//		// routing GET / to demo.Recommend and POST /click to demo.Click.
//	}
//
// Package demotest checks such a handler.
package demo
