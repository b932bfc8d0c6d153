package demo

import (
	"encoding/json"
	"net/http"

	"github.com/visitrack/visitrack/tracker"
)

// maxClickBytes bounds a click's request body.
const maxClickBytes = 4 << 10

// Click logs a click sent in Clerk.io's log/click shape; the product ID may
// be a JSON string or number. It answers 204 No Content, or 400 Bad Request
// with a JSON error for a body that is not a valid click. The request must
// have passed through visitrack's middleware.
func Click(w http.ResponseWriter, r *http.Request) {
	var c tracker.Click
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxClickBytes)).Decode(&c); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be a click: " + err.Error()})
		return
	}
	if err := tracker.From(r.Context()).Click(c); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
