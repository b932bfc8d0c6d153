package consent_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/visitrack/visitrack/consent"
)

// The default decision: a recorded choice wins, Global Privacy Control caps a
// visitor who never chose at Cookieless, and everyone else is Cookieless.
func ExampleDefault() {
	decide := consent.Default(consent.ChoiceCookie)

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	fmt.Println("new visitor:", decide(r))

	r.Header.Set("Sec-GPC", "1")
	fmt.Println("with GPC:", decide(r))

	r.AddCookie(consent.ChoiceCookieFor(consent.ChoiceCookie, consent.Persistent, false))
	fmt.Println("after accepting:", decide(r))
	// Output:
	// new visitor: cookieless
	// with GPC: cookieless
	// after accepting: persistent
}

// A shop that treats Global Privacy Control as a refusal, and otherwise
// keeps its own rules.
func ExampleChain() {
	decide := consent.Chain(
		consent.FromCookie("shop_consent"),
		consent.GPC(consent.Disabled),
		consent.Fixed(consent.Cookieless),
	)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Sec-GPC", "1")
	fmt.Println(decide(r))
	// Output: disabled
}

func ExampleParseState() {
	for _, in := range []string{"persistent", "null", " Auto ", "maybe"} {
		s, err := consent.ParseState(in)
		fmt.Printf("%q: %v %v\n", in, s, err)
	}
	// Output:
	// "persistent": persistent <nil>
	// "null": disabled <nil>
	// " Auto ": cookieless <nil>
	// "maybe": unknown consent: unknown state: "maybe"
}

func ExampleChoiceCookieFor() {
	w := httptest.NewRecorder()
	c := consent.ChoiceCookieFor(consent.ChoiceCookie, consent.Cookieless, true)
	fmt.Println(c.Name, c.Value, c.MaxAge, c.HttpOnly, c.Secure, c.SameSite == http.SameSiteLaxMode)
	http.SetCookie(w, consent.ChoiceCookieFor(consent.ChoiceCookie, consent.Unknown, false))
	fmt.Println(w.Header().Get("Set-Cookie"))
	// Output:
	// __Host-vt_consent cookieless 15811200 true true true
	// vt_consent=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax
}
