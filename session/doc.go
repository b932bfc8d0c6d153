// Package session gives visitors anonymous IDs and keeps each ID between
// requests in the way the visitor's consent state allows.
//
// IDs are xid strings (20 characters of 0-9 and a-v): unique, sortable by
// time and within Clerk.io's rule for custom visitor IDs. An ID that arrives
// from outside is used only if ValidID accepts it.
//
// Three kinds of keeper hold an ID between requests:
//
//   - Persistent, for consent.Persistent: a signed (and, with a block key,
//     encrypted) first-party cookie with a long lifetime, 13 months by
//     default. The store name is bound into what is signed, so a cookie
//     issued for one store is refused by another.
//   - A Cookieless keeper, for consent.Cookieless: by default CompactStore, a
//     browser-session cookie (no Max-Age or Expires) that is also a gorilla
//     sessions.Store; SessionKeeper keeps the ID in the shop's own gorilla
//     session instead; Derived keeps no cookie at all and derives the ID from
//     a keyed hash of the client's address and User-Agent with a daily salt.
//     Cookieless IDs end after an idle timeout (30 minutes) and an absolute
//     cap (24 hours).
//
// Signed cookies use the wire format of gorilla/securecookie with its
// NopEncoder (HMAC-SHA256 over name|date|value, AES-CTR when a block key is
// given), so securecookie can decode them and they decode cookies it wrote.
// The package verifies that format itself, without allocating, because
// verification runs on every request of every returning visitor.
//
// Keys come in pairs, newest first: a 32- or 64-byte hash key and an
// optional 16-, 24- or 32-byte AES block key. New cookies are signed with the
// first pair; older pairs still verify, so rotating keys keeps every visitor.
//
// # Concepts
//
//   - NewID, ValidID: make a visitor ID; check one that came from outside.
//   - Persistent (PersistentConfig): the long-term cookie, for consent.Persistent.
//   - Cookieless: the interface of the keepers for consent.Cookieless.
//   - Visit: what a Cookieless keeper keeps: the ID and when the session began.
//   - Timeouts: the idle timeout and absolute cap of a cookieless session.
//   - CompactStore (CompactConfig): the default Cookieless keeper, a signed
//     browser-session cookie; also a gorilla sessions.Store.
//   - SessionKeeper (SessionKeeperConfig): a Cookieless keeper inside the
//     shop's own gorilla session.
//   - Derived (DerivedConfig): a Cookieless keeper with no cookie at all.
//   - SecurePolicy: when visitor cookies are Secure and get the __Host- prefix.
//   - ErrNoCookie, ErrInvalid, ErrExpired: why a kept ID was not restored;
//     ErrKeys: keys a constructor cannot use.
package session
