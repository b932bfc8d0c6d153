package main

import (
	"errors"
	"mime"
	"net/http"
	"unicode/utf8"
)

// formLimit is the largest form body the shop reads: its forms send a few
// dozen bytes.
const formLimit = 4 << 10

// readForm parses r's form body, refusing what the shop's own forms never
// send, so that a broken or hostile request changes nothing: a body over
// formLimit (413), a body that is not a URL-encoded form (415), one that
// does not parse or holds text that is not UTF-8 (400), and a form that
// lacks one of the fields named in need (400). It answers the refusal with
// a page that says what happened and returns false.
func (s *shop) readForm(w http.ResponseWriter, r *http.Request, need ...string) bool {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		s.problem(w, r, http.StatusUnsupportedMediaType, "This form could not be read",
			"The shop reads only the forms on its pages. Nothing was changed.")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	if err := r.ParseForm(); err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			s.problem(w, r, http.StatusRequestEntityTooLarge, "This form is too large",
				"The shop's forms are small; this one was over 4 KiB. Nothing was changed.")
			return false
		}
		s.badForm(w, r)
		return false
	}
	for k, vs := range r.PostForm {
		if !utf8.ValidString(k) {
			s.badForm(w, r)
			return false
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				s.badForm(w, r)
				return false
			}
		}
	}
	for _, f := range need {
		if _, ok := r.PostForm[f]; !ok {
			s.badForm(w, r)
			return false
		}
	}
	return true
}

func (s *shop) badForm(w http.ResponseWriter, r *http.Request) {
	s.problem(w, r, http.StatusBadRequest, "This form could not be read",
		"Part of it is missing or garbled. Nothing was changed; please try again from the page.")
}

// problemPage is what the problem page shows.
type problemPage struct {
	Message string
	// Choices shows the consent form, for a consent choice gone wrong.
	Choices bool
}

// problem answers with a page that explains, in the shop's layout.
func (s *shop) problem(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	s.render(w, r, status, "problem", title, problemPage{Message: message})
}

// postOnly answers a request for a form's address with another method than
// POST, as someone typing it into the address bar would send.
func (s *shop) postOnly(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	s.problem(w, r, http.StatusMethodNotAllowed, "Nothing to see here",
		"This address takes the answers of a form on the shop's pages; there is no page to show.")
}

// crossOrigin answers a form sent from another site, which
// http.CrossOriginProtection refused. It runs outside visitrack's
// middleware: a refused request neither gets nor changes a visitor ID.
func (s *shop) crossOrigin(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusForbidden, "problem", pageData{
		Title: "Sent from another site", Path: "/", Categories: s.catalog.categories, Minimal: true,
		Content: problemPage{Message: "This form was sent from another website, so the shop did not act on it. " +
			"If you meant to, open the shop and use the form there."},
	})
}
