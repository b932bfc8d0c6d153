// Package consent decides, per request, how far a visitor may be tracked.
//
// There are four states. Disabled means no visitor ID, no cookie and no
// events at all. Cookieless, the default, keeps an anonymous ID for the
// length of a browser session only. Persistent keeps the same ID in a
// long-lived first-party cookie and applies only after the visitor agreed.
// Unknown is what a Hook returns when it has no opinion, so the next hook in
// a Chain decides.
//
// The default decision, used by the middleware when no hook is configured,
// is Default(ChoiceCookie): the visitor's recorded choice, then Global
// Privacy Control (Sec-GPC: 1) capping at Cookieless, then Cookieless.
//
// # Concepts
//
//   - State: Unknown, Disabled, Cookieless or Persistent; ParseState reads
//     one, Clerk.io's words included.
//   - Hook: decides one request's State, or answers Unknown to abstain.
//   - Chain, Fixed, GPC, FromCookie, Default: hooks, and how to combine them.
//   - ChoiceCookie, ChoiceCookieFor: the cookie that records a visitor's choice.
//   - CookieValue, HasCookie: allocation-free cookie lookups the other
//     packages share.
package consent
