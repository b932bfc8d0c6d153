package middleware_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/tracker"
)

func TestCookiesCommittedBeforeHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		start  func(http.ResponseWriter) // starts the response; nil: the handler writes nothing
		status int
	}{
		{"WriteHeader", func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated) }, http.StatusCreated},
		{"Write", func(w http.ResponseWriter) { io.WriteString(w, "hello") }, http.StatusOK},
		{"Flush", func(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() }, http.StatusOK},
		{"nothing written", nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var before, after []string
			h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				before = w.Header().Values("Set-Cookie")
				if tt.start != nil {
					tt.start(w)
					after = w.Header().Values("Set-Cookie")
				}
			}))
			// The recorder snapshots headers at WriteHeader, so a cookie set
			// later would be missing from the result.
			resp := serve(h, newRequest("http://shop.example/"))
			assert.Empty(t, before, "nothing committed before the response starts")
			if tt.start != nil {
				assert.Len(t, after, 1, "committed when the response started")
			}
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.NotNil(t, setCookie(resp, "vt_s"))
			assert.Len(t, resp.Header.Values("Set-Cookie"), 1, "committed once")
			assert.Contains(t, resp.Header.Values("Vary"), "Cookie")
		})
	}
}

func TestFlushStreams(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	proceed, done := make(chan struct{}), make(chan struct{})
	srv := f.start(t, func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		io.WriteString(w, "first\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
			return
		}
		// The client has the first line before the handler goes on.
		select {
		case <-proceed:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, tracker.From(r.Context()).Visitor()+"\n")
	})

	resp := fetch(t, context.Background(), srv.Client(), srv.URL)
	defer resp.Body.Close()
	assert.NotNil(t, setCookie(resp, "vt_s"), "cookies went out with the flushed headers")
	assert.Contains(t, resp.Header.Get("Cache-Control"), `no-cache="Set-Cookie"`)

	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "first\n", line)
	close(proceed)
	line, err = br.ReadString('\n')
	require.NoError(t, err)
	assert.Len(t, line, 21, "the visitor ID")
	<-done
}

func TestHijack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	done := make(chan struct{})
	srv := f.start(t, func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		if err := middleware.SetConsent(w, r, consent.Persistent); err != middleware.ErrCommitted {
			t.Errorf("SetConsent after Hijack = %v, want ErrCommitted", err)
		}
		tracker.From(r.Context()).View("12793") // the tracker still works
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nConnection: close\r\nX-Raw: yes\r\n\r\nhijacked")
		if err := buf.Flush(); err != nil {
			t.Errorf("writing to the hijacked connection: %v", err)
		}
	})

	resp := fetch(t, context.Background(), srv.Client(), srv.URL)
	assert.Equal(t, "hijacked", body(t, resp))
	<-done
	assert.Equal(t, "yes", resp.Header.Get("X-Raw"))
	assert.Empty(t, resp.Header.Values("Set-Cookie"), "the raw response is the handler's")
	assert.Equal(t, 1, f.rec.Len())
}

func TestUnwrap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rec := httptest.NewRecorder()
	var inner http.ResponseWriter
	h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		require.True(t, ok, "the wrapper has Unwrap")
		inner = u.Unwrap()
	}))
	h.ServeHTTP(rec, newRequest("http://shop.example/"))
	assert.Same(t, rec, inner)
}

func TestResponseControllerNotSupported(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var flushErr, hijackErr, setErr error
	h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_, _, hijackErr = rc.Hijack()
		// A failed Hijack leaves the response to the handler, as over
		// HTTP/2, so it can still record a choice.
		setErr = middleware.SetConsent(w, r, consent.Persistent)
		flushErr = rc.Flush()
	}))
	// headerOnly can neither flush nor hijack.
	w := &headerOnly{h: http.Header{}}
	h.ServeHTTP(w, newRequest("http://shop.example/"))
	assert.ErrorIs(t, hijackErr, http.ErrNotSupported)
	assert.NoError(t, setErr)
	assert.ErrorIs(t, flushErr, http.ErrNotSupported)
	resp := &http.Response{Header: w.h}
	c := setCookie(resp, "vt_consent")
	require.NotNil(t, c, "cookies survive a failed Hijack")
	assert.Equal(t, "persistent", c.Value)
	assert.NotNil(t, setCookie(resp, "vt_id"))
}

func TestEarlyHintsDoNotCommit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	setErr := make(chan error, 1)
	srv := f.start(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "</style.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		setErr <- middleware.SetConsent(w, r, consent.Persistent)
		echo(w, r)
	})

	var early []textproto.MIMEHeader
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		if code == http.StatusEarlyHints {
			early = append(early, h)
		}
		return nil
	}}
	resp := fetch(t, httptrace.WithClientTrace(context.Background(), trace), srv.Client(), srv.URL)
	v := parseVisit(t, body(t, resp))

	require.NoError(t, <-setErr, "SetConsent still works after a 1xx")
	require.Len(t, early, 1)
	assert.Equal(t, "</style.css>; rel=preload; as=style", early[0].Get("Link"))
	assert.Empty(t, early[0].Values("Set-Cookie"), "no cookie in the early hints")

	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, consent.Persistent, v.State)
	assert.Equal(t, "persistent", setCookie(resp, "vt_consent").Value)
	assert.NotNil(t, setCookie(resp, "vt_id"))
}

func TestHijackOverHTTP2KeepsCookies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	hijackErr := make(chan error, 1)
	srv := httptest.NewUnstartedServer(f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, err := http.NewResponseController(w).Hijack()
		hijackErr <- err
		echo(w, r)
	})))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	resp := fetch(t, context.Background(), srv.Client(), srv.URL)
	v := parseVisit(t, body(t, resp))
	require.Equal(t, 2, resp.ProtoMajor)
	assert.ErrorIs(t, <-hijackErr, http.ErrNotSupported)
	c := setCookie(resp, "__Host-vt_s")
	require.NotNil(t, c, "the visitor cookie went out: %v", cookieNames(resp))
	assert.True(t, c.Secure)
	assert.Equal(t, consent.Cookieless, v.State)
}
