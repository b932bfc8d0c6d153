package session_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/session/sessiontest"
)

func TestPersistentRefusesCookiesFromTheFuture(t *testing.T) {
	t.Parallel()
	clk := sessiontest.NewClock(start.Add(100 * 24 * time.Hour))
	p := newPersistent(t, session.PersistentConfig{Store: "s", MaxAge: time.Hour, Now: clk.Now})
	w := httptest.NewRecorder()
	require.NoError(t, p.Keep(w, get(), session.NewID()))
	r := withCookies(t, get(), w)

	clk.Set(start) // the cookie was issued 100 days from now
	_, err := p.Load(r)
	assert.ErrorIs(t, err, session.ErrInvalid)

	clk.Set(start.Add(100*24*time.Hour - 30*time.Second)) // within clock skew
	_, err = p.Load(r)
	assert.NoError(t, err)
}
