// Package demotest checks an example program's handler, built by
// demo.Handler from the example's demo.Routes, from the outside: it serves it
// with httptest and calls it the way a browser and a bot would. It is
// imported only from the examples' tests.
//
// An example's test runs the shared checks with
//
//	func TestExample(t *testing.T) {
//		t.Parallel()
//		demotest.Run(t, routes, demotest.AllRequests)
//	}
//
// where the Coverage argument states what is particular to its router.
package demotest
