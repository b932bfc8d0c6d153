package dashboard

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// BasicAuth returns a Config.Authorize hook that lets through the requests
// carrying user and password with HTTP Basic authentication, and answers
// the others with 401 and a challenge, so that a browser asks for them.
// It compares in constant time, the lengths included. An empty password
// lets no one in. Serve the dashboard over HTTPS only: Basic
// authentication sends the password with every request.
//
//	h, err := dashboard.New(dashboard.Config{Analytics: db, Store: "shop-dk",
//		Authorize: dashboard.BasicAuth("owner", os.Getenv("DASHBOARD_PASSWORD"))})
func BasicAuth(user, password string) func(w http.ResponseWriter, r *http.Request) bool {
	wantUser, wantPass := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	open := password != ""
	return func(w http.ResponseWriter, r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		gotUser, gotPass := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		// Both compared, whatever the first gives.
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
		passOK := subtle.ConstantTimeCompare(gotPass[:], wantPass[:])
		if ok && open && userOK&passOK == 1 {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="visitrack dashboard", charset="UTF-8"`)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte("401 Unauthorized: sign in with the dashboard's user name and password.\n"))
		return false
	}
}
