// Package storetest is the conformance suite for visitrack stores: every
// tracker.Store (the embedded tracker/sqlite store, PostgreSQL, ...) must
// pass it. It checks the rules of the domain through the public interface
// only: idempotent writes, a sale counted once, click backtracking,
// attribution through linked visitors and within the window, exact money,
// half-open ranges, store isolation, results that do not depend on the order
// events arrive in, history, email links, erasure and retention.
//
// A store's test calls Run with a function that opens a new, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Store {
//			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "v.db"))
//			require.NoError(t, err)
//			return s
//		})
//	}
//
// Run closes each store at the end of its subtest. Every time in the suite
// is fixed (March 2026), so stores must accept events from any time.
package storetest
