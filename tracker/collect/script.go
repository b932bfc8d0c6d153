package collect

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"time"
)

// script is collect.js: a few lines of plain JavaScript that log clicks,
// views, category views and email links with fetch.
//
//go:embed collect.js
var script []byte

// scriptETag identifies this version of the script.
var scriptETag = func() string {
	sum := sha256.Sum256(script)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
}()

// serveScript answers GET /collect.js.
func serveScript(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", scriptETag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "collect.js", time.Time{}, bytes.NewReader(script))
}
