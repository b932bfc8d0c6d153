package consent_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/visitrack/visitrack/consent"
)

func request(headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

func TestChain(t *testing.T) {
	t.Parallel()
	calls := 0
	counting := func(s consent.State) consent.Hook {
		return func(*http.Request) consent.State { calls++; return s }
	}
	tests := []struct {
		name  string
		hooks []consent.Hook
		want  consent.State
		calls int
	}{
		{"empty", nil, consent.Unknown, 0},
		{"all nil", []consent.Hook{nil, nil}, consent.Unknown, 0},
		{"all abstain", []consent.Hook{counting(consent.Unknown), counting(consent.Unknown)}, consent.Unknown, 2},
		{"first wins", []consent.Hook{counting(consent.Persistent), counting(consent.Disabled)}, consent.Persistent, 1},
		{"first non-unknown wins", []consent.Hook{counting(consent.Unknown), counting(consent.Disabled), counting(consent.Persistent)}, consent.Disabled, 2},
		{"nil skipped", []consent.Hook{nil, counting(consent.Unknown), nil, counting(consent.Cookieless)}, consent.Cookieless, 2},
	}
	for _, tt := range tests {
		calls = 0
		got := consent.Chain(tt.hooks...)(request())
		assert.Equal(t, tt.want, got, tt.name)
		assert.Equal(t, tt.calls, calls, "%s: hooks after the answer are not asked", tt.name)
	}
}

func TestChainCopiesHooks(t *testing.T) {
	t.Parallel()
	hooks := []consent.Hook{consent.Fixed(consent.Persistent)}
	h := consent.Chain(hooks...)
	hooks[0] = consent.Fixed(consent.Disabled)
	assert.Equal(t, consent.Persistent, h(request()), "changing the caller's slice afterwards does not change the chain")
}

func TestFixed(t *testing.T) {
	t.Parallel()
	for _, s := range states {
		assert.Equal(t, s, consent.Fixed(s)(request()))
		assert.Equal(t, s, consent.Fixed(s)(request("Sec-GPC", "1", "Cookie", "vt_consent=persistent")))
	}
}

func TestGPC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []string
		want   bool
	}{
		{"absent", nil, false},
		{"one", []string{"1"}, true},
		{"spaced", []string{" 1\t"}, true},
		{"zero", []string{"0"}, false},
		{"true", []string{"true"}, false},
		{"empty", []string{""}, false},
		{"eleven", []string{"11"}, false},
		{"list", []string{"1, 1"}, false},
		{"second header", []string{"0", "1"}, true},
	}
	for _, tt := range tests {
		r := request()
		for _, v := range tt.values {
			r.Header.Add("Sec-GPC", v)
		}
		assert.Equal(t, tt.want, consent.HasGPC(r), tt.name)
		want := consent.Unknown
		if tt.want {
			want = consent.Cookieless
		}
		assert.Equal(t, want, consent.GPC(consent.Cookieless)(r), tt.name)
		if tt.want {
			assert.Equal(t, consent.Disabled, consent.GPC(consent.Disabled)(r), tt.name)
		}
	}
}

func TestGPCHeaderCanonicalisation(t *testing.T) {
	t.Parallel()
	r := request()
	r.Header.Set("sec-gpc", "1") // canonicalised to Sec-Gpc, as net/http does for received headers
	assert.True(t, consent.HasGPC(r))
}

func TestDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers []string
		want    consent.State
	}{
		{"nothing", nil, consent.Cookieless},
		{"GPC without choice", []string{"Sec-GPC", "1"}, consent.Cookieless},
		{"choice persistent", []string{"Cookie", "vt_consent=persistent"}, consent.Persistent},
		{"choice wins over GPC", []string{"Cookie", "vt_consent=persistent", "Sec-GPC", "1"}, consent.Persistent},
		{"choice disabled", []string{"Cookie", "vt_consent=disabled"}, consent.Disabled},
		{"choice cookieless", []string{"Cookie", "vt_consent=cookieless"}, consent.Cookieless},
		{"secure choice", []string{"Cookie", "__Host-vt_consent=persistent"}, consent.Persistent},
		{"garbage falls through", []string{"Cookie", "vt_consent=yes-please"}, consent.Cookieless},
		{"garbage with GPC", []string{"Cookie", "vt_consent=garbage", "Sec-GPC", "1"}, consent.Cookieless},
		{"unknown choice falls through", []string{"Cookie", "vt_consent=unknown"}, consent.Cookieless},
		{"other name", []string{"Cookie", "other=persistent"}, consent.Cookieless},
	}
	h := consent.Default(consent.ChoiceCookie)
	for _, tt := range tests {
		assert.Equal(t, tt.want, h(request(tt.headers...)), tt.name)
	}
}

func TestDefaultNeverUnknown(t *testing.T) {
	t.Parallel()
	h := consent.Default("choice")
	for _, v := range []string{"", "unknown", "State(9)", "\"\"", "PERSISTENT"} {
		assert.NotEqual(t, consent.Unknown, h(request("Cookie", "choice="+v)), v)
	}
}

func TestFromCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cookie string
		want   consent.State
	}{
		{"missing", "", consent.Unknown},
		{"plain", "c=persistent", consent.Persistent},
		{"host form", "__Host-c=disabled", consent.Disabled},
		{"quoted", `c="cookieless"`, consent.Cookieless},
		{"among others", "a=1; c=persistent; b=2", consent.Persistent},
		{"garbage", "c=%00", consent.Unknown},
		{"case differs", "c=Persistent", consent.Unknown},
		{"empty", "c=", consent.Unknown},
		{"prefix confusion", "cc=persistent; c_x=disabled", consent.Unknown},
		{"host form preferred", "c=disabled; __Host-c=persistent", consent.Persistent},
	}
	h := consent.FromCookie("c")
	for _, tt := range tests {
		r := request()
		if tt.cookie != "" {
			r.Header.Set("Cookie", tt.cookie)
		}
		assert.Equal(t, tt.want, h(r), tt.name)
	}
}
