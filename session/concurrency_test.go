package session_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/session/sessiontest"
)

// TestConcurrentUse runs Load and Keep of every keeper from many goroutines
// at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	clk := sessiontest.NewClock(start)
	p := newPersistent(t, session.PersistentConfig{Keys: [][]byte{hashB, blockB, hashA, blockA}, Now: clk.Now})
	c := newCompact(t, session.CompactConfig{Keys: [][]byte{hashA, blockA}, Now: clk.Now})
	d := session.NewDerived(session.DerivedConfig{Secret: secret, Now: clk.Now, MaxTracked: 16})
	k := session.NewSessionKeeper(session.SessionKeeperConfig{Store: shopStore(), Name: "shop", Now: clk.Now})

	// One visitor's cookies, sent by many concurrent requests.
	id := session.NewID()
	pw, cw, kw := httptest.NewRecorder(), httptest.NewRecorder(), httptest.NewRecorder()
	require.NoError(t, p.Keep(pw, get(), id))
	require.NoError(t, c.Keep(cw, get(), session.Visit{ID: id}))
	require.NoError(t, k.Keep(kw, get(), session.Visit{ID: id}))
	pv, cv := cookie(t, pw).Value, cookie(t, cw).Value
	kr := withCookies(t, get(), kw)

	const workers, rounds = 16, 100
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*8)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				if w == 0 && i%10 == 0 {
					clk.Add(time.Second) // the clock moves while others read it
				}
				got, err := load(p, pv)
				if err != nil || got != id {
					errs <- err
				}
				visit, err := load(c, cv)
				if err != nil || visit.ID != id {
					errs <- err
				}
				kvisit, err := k.Load(kr.Clone(kr.Context()))
				if err != nil || kvisit.ID != id {
					errs <- err
				}
				if _, err := d.Load(from("192.0.2.1:1", firefox)); err != nil {
					errs <- err
				}

				fresh := session.NewID()
				rec := httptest.NewRecorder()
				if err := p.Keep(rec, get(), fresh); err != nil {
					errs <- err
				} else if got, err := p.Load(withCookies(t, get(), rec)); err != nil || got != fresh {
					errs <- err
				}
				rec = httptest.NewRecorder()
				if err := c.Keep(rec, get(), session.Visit{ID: fresh}); err != nil {
					errs <- err
				} else if got, err := c.Load(withCookies(t, get(), rec)); err != nil || got.ID != fresh {
					errs <- err
				}
				rec = httptest.NewRecorder()
				if err := k.Keep(rec, get(), session.Visit{ID: fresh}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	assert.Empty(t, all)
}
