package main

import (
	"testing"

	"github.com/visitrack/visitrack/examples/internal/demo/demotest"
)

// The middleware wraps the whole ServeMux, so it sees every request, 404s
// included.
func TestExample(t *testing.T) {
	t.Parallel()
	demotest.Run(t, routes, demotest.AllRequests)
}
