package main

import (
	"testing"

	"github.com/visitrack/visitrack/examples/internal/demo/demotest"
)

// gorilla/mux runs middleware added with Use only for requests that match a
// route, so a 404 gets no tracker and no cookie.
func TestExample(t *testing.T) {
	t.Parallel()
	demotest.Run(t, routes, demotest.MatchedRoutes)
}
