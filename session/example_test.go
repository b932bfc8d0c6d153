package session_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/rs/xid"

	"github.com/visitrack/visitrack/session"
)

// browser replays the cookies a response set, as a browser would.
func browser(w *httptest.ResponseRecorder) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range w.Result().Cookies() {
		r.AddCookie(c)
	}
	return r
}

// firstVisit returns the response to a visitor's first request, in which k
// kept v.
func firstVisit[T any](k keeper[T], v T) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	if err := k.Keep(w, httptest.NewRequest(http.MethodGet, "/", nil), v); err != nil {
		panic(err)
	}
	return w
}

// A visitor who gave consent keeps the same ID from one visit to the next.
func ExamplePersistent() {
	keeper, err := session.NewPersistent(session.PersistentConfig{
		Keys:  [][]byte{bytes.Repeat([]byte("h"), 32), bytes.Repeat([]byte("b"), 32)},
		Store: "shop-dk",
	})
	if err != nil {
		panic(err)
	}

	id := session.NewID()
	w := httptest.NewRecorder()
	if err := keeper.Keep(w, httptest.NewRequest(http.MethodGet, "/", nil), id); err != nil {
		panic(err)
	}
	c := w.Result().Cookies()[0]
	fmt.Println("cookie:", c.Name, "HttpOnly:", c.HttpOnly, "months:", c.MaxAge/(30*24*3600))

	got, err := keeper.Load(browser(w))
	fmt.Println("same ID on the next visit:", got == id, err)
	// Output:
	// cookie: vt_id HttpOnly: true months: 13
	// same ID on the next visit: true <nil>
}

// Rotating keys: put the new pair first and keep the old pair after it.
// Visitors whose cookie was signed with the old pair keep their ID.
func ExamplePersistent_rotation() {
	oldPair := [][]byte{bytes.Repeat([]byte("o"), 32), bytes.Repeat([]byte("O"), 16)}
	newPair := [][]byte{bytes.Repeat([]byte("n"), 32), bytes.Repeat([]byte("N"), 16)}

	before, _ := session.NewPersistent(session.PersistentConfig{Keys: oldPair})
	id := session.NewID()
	w := httptest.NewRecorder()
	_ = before.Keep(w, httptest.NewRequest(http.MethodGet, "/", nil), id)

	after, _ := session.NewPersistent(session.PersistentConfig{Keys: append(newPair, oldPair...)})
	got, err := after.Load(browser(w))
	fmt.Println("kept after rotation:", got == id, err)

	retired, _ := session.NewPersistent(session.PersistentConfig{Keys: newPair})
	_, err = retired.Load(browser(w))
	fmt.Println("once the old pair is removed:", errors.Is(err, session.ErrInvalid))
	// Output:
	// kept after rotation: true <nil>
	// once the old pair is removed: true
}

// A cookieless visit ends after 30 idle minutes.
func ExampleCompactStore() {
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	store, err := session.NewCompactStore(session.CompactConfig{
		Keys: [][]byte{bytes.Repeat([]byte("h"), 32)},
		Now:  func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	id := session.NewID()
	w := httptest.NewRecorder()
	_ = store.Keep(w, httptest.NewRequest(http.MethodGet, "/", nil), session.Visit{ID: id})
	fmt.Println("Set-Cookie has Max-Age:", bytes.Contains([]byte(w.Header().Get("Set-Cookie")), []byte("Max-Age")))

	now = now.Add(5 * time.Minute)
	v, err := store.Load(browser(w))
	fmt.Println("5 minutes later:", v.ID == id, err, "refresh:", v.Refresh)

	now = now.Add(31 * time.Minute)
	_, err = store.Load(browser(w))
	fmt.Println("36 minutes later:", errors.Is(err, session.ErrExpired))
	// Output:
	// Set-Cookie has Max-Age: false
	// 5 minutes later: true <nil> refresh: true
	// 36 minutes later: true
}

// The visit lives in the shop's own gorilla session, next to its basket.
func ExampleSessionKeeper() {
	store := sessions.NewCookieStore(bytes.Repeat([]byte("s"), 32))
	store.Options.MaxAge = 0 // a browser-session cookie
	keeper := session.NewSessionKeeper(session.SessionKeeperConfig{Store: store, Name: "shop"})

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	sess, _ := store.Get(r, "shop") // the shop's handler, in the same request
	sess.Values["basket"] = "12793x2"
	id := session.NewID()
	w := httptest.NewRecorder()
	if err := keeper.Keep(w, r, session.Visit{ID: id}); err != nil {
		panic(err)
	}
	fmt.Println("cookies:", len(w.Result().Cookies()), w.Result().Cookies()[0].Name)

	next := browser(w)
	v, err := keeper.Load(next)
	sess, _ = store.Get(next, "shop")
	fmt.Println("same ID:", v.ID == id, err, "basket:", sess.Values["basket"])
	// Output:
	// cookies: 1 shop
	// same ID: true <nil> basket: 12793x2
}

func ExampleValidID() {
	fmt.Println(session.ValidID(session.NewID()))
	fmt.Println(session.ValidID("9m4e2mr0ui3e8a215n4g"))
	fmt.Println(session.ValidID("9M4E2MR0UI3E8A215N4G"))
	fmt.Println(session.ValidID("../../etc/passwd"))
	// Output:
	// true
	// true
	// false
	// false
}

func ExampleNewPersistent_badKeys() {
	_, err := session.NewPersistent(session.PersistentConfig{
		Keys: [][]byte{bytes.Repeat([]byte("h"), 32), []byte("fifteen bytes!!")},
	})
	fmt.Println(errors.Is(err, session.ErrKeys))
	fmt.Println(err)
	// Output:
	// true
	// session: bad keys: Keys[1]: block key is 15 bytes, need 16, 24 or 32 (AES-128, -192 or -256)
}

// Reading visitrack's cookies with gorilla/securecookie, in a tool of the
// shop's own: the same keys, NopEncoder, and the keeper's SignedName as the
// name.
func ExamplePersistent_SignedName() {
	hashKey, blockKey := bytes.Repeat([]byte("h"), 32), bytes.Repeat([]byte("b"), 32)
	keeper, err := session.NewPersistent(session.PersistentConfig{Keys: [][]byte{hashKey, blockKey}, Store: "shop-dk"})
	if err != nil {
		panic(err)
	}
	id := session.NewID()
	cookie := firstVisit(keeper, id).Result().Cookies()[0]

	sc := securecookie.New(hashKey, blockKey)
	sc.SetSerializer(securecookie.NopEncoder{})
	sc.MaxAge(int(session.DefaultPersistentMaxAge / time.Second))
	var payload []byte
	if err := sc.Decode(keeper.SignedName(), cookie.Value, &payload); err != nil {
		panic(err)
	}
	x, err := xid.FromBytes(payload)
	fmt.Println(keeper.SignedName())
	fmt.Println("securecookie reads the visitor's ID:", x.String() == id, err)
	// Output:
	// vt_id|persistent|shop-dk
	// securecookie reads the visitor's ID: true <nil>
}

func ExampleCompactStore_SignedName() {
	hashKey := bytes.Repeat([]byte("h"), 32)
	keeper, err := session.NewCompactStore(session.CompactConfig{Keys: [][]byte{hashKey, nil}, Store: "shop-dk"})
	if err != nil {
		panic(err)
	}
	id := session.NewID()
	cookie := firstVisit(keeper, session.Visit{ID: id}).Result().Cookies()[0]

	sc := securecookie.New(hashKey, nil) // signed only, as the keys say
	sc.SetSerializer(securecookie.NopEncoder{})
	var payload []byte
	if err := sc.Decode(keeper.SignedName(), cookie.Value, &payload); err != nil {
		panic(err)
	}
	x, err := xid.FromBytes(payload[:12])
	started, n := binary.Uvarint(payload[12:])
	fmt.Println(keeper.SignedName())
	fmt.Println("ID:", x.String() == id, err, "session start read:", n > 0 && started > 0)
	// Output:
	// vt_s|cookieless|shop-dk
	// ID: true <nil> session start read: true
}
