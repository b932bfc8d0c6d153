package main

import (
	"testing"

	"github.com/visitrack/visitrack/examples/internal/demo/demotest"
)

// chi runs middleware added with Use for every request, matched or not.
func TestExample(t *testing.T) {
	t.Parallel()
	demotest.Run(t, routes, demotest.AllRequests)
}
