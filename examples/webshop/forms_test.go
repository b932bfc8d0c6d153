package main

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

// A checkout the shop cannot read places nothing and says why; the basket
// stays as it was.
func TestCheckoutRefusesFormsItCannotRead(t *testing.T) {
	t.Parallel()
	_, rec, b := newShopper(t)
	resp, _ := b.post("/basket/add", url.Values{"id": {"12793"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	const form = "application/x-www-form-urlencoded"
	binary := string([]byte{0x00, 0xff, 0xfe, 'e', 0x01, 0x80, '=', 0xc3, 0x28})
	for _, c := range []struct {
		name, ct, body string
		status         int
		says           string
	}{
		{"over 4 KiB", form, "email=" + strings.Repeat("a", 5<<10) + "%40example.com", http.StatusRequestEntityTooLarge, "too large"},
		{"binary", form, binary, http.StatusBadRequest, "missing or garbled"},
		{"bad escape", form, "email=%zz", http.StatusBadRequest, "missing or garbled"},
		{"not UTF-8", form, "email=%ff%fe%40example.com", http.StatusBadRequest, "missing or garbled"},
		{"no email field", form, "mail=ada%40example.com", http.StatusBadRequest, "missing or garbled"},
		{"octet stream", "application/octet-stream", binary, http.StatusUnsupportedMediaType, "only the forms on its pages"},
		{"JSON", "application/json", `{"email":"ada@example.com"}`, http.StatusUnsupportedMediaType, "only the forms on its pages"},
		{"no content type", "", "email=ada%40example.com", http.StatusUnsupportedMediaType, "only the forms on its pages"},
	} {
		resp, page := b.postRaw("/checkout", c.ct, c.body)
		assert.Equal(t, c.status, resp.StatusCode, c.name)
		assert.Contains(t, page, c.says, c.name)
		assert.Contains(t, page, "Nothing was changed", c.name)
		assert.NotContains(t, page, "Thank you", c.name)
	}
	assert.Empty(t, ofKind(rec.Events(), tracker.KindSale), "no order placed")
	assert.Empty(t, ofKind(rec.Events(), tracker.KindEmail))
	_, page := b.get("/basket")
	assert.Contains(t, page, `id="basket-total">€99.95<`, "the basket is untouched")

	resp, page = b.post("/checkout", url.Values{"email": {"ada@example.com"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "Thank you")
	assert.Len(t, ofKind(rec.Events(), tracker.KindSale), 1)
}

// The other forms refuse the same way; a visit to a form's address is a
// 405 page, not a 404.
func TestFormsRefuseWhatTheyCannotRead(t *testing.T) {
	t.Parallel()
	_, _, b := newShopper(t)
	for _, path := range []string{"/consent", "/basket/add", "/basket/remove", "/checkout"} {
		resp, _ := b.postRaw(path, "application/x-www-form-urlencoded", strings.Repeat("x=1&", 2<<10))
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, path)
		resp, _ = b.postRaw(path, "text/plain", "id=12793")
		assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, path)
		resp, _ = b.post(path, url.Values{"unrelated": {"1"}})
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, path)
		resp, page := b.get(path)
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, path)
		assert.Equal(t, http.MethodPost, resp.Header.Get("Allow"), path)
		assert.Contains(t, page, "Nothing to see here", path)
	}
	assert.NotContains(t, b.cookies(), "vt_consent", "no choice was recorded")
	_, page := b.get("/basket")
	assert.Contains(t, page, "Your basket is empty")
}

// A quantity the shop cannot take is refused on the product's page with a
// reason, not silently changed; a basket that cannot take all of an
// addition says what it did.
func TestQuantitiesAreCheckedAndExplained(t *testing.T) {
	t.Parallel()
	_, _, b := newShopper(t)
	for _, q := range []string{"-5", "0", "abc", "1.5", "1000000000", "100", ""} {
		resp, page := b.post("/basket/add", url.Values{"id": {"12793"}, "quantity": {q}})
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "quantity %q", q)
		assert.Contains(t, page, "Please choose a whole number from 1 to 99. Nothing was added.", "quantity %q", q)
		assert.Contains(t, page, `id="product-name">Trail Runner 2<`, "the product's page, quantity %q", q)
		assert.Contains(t, page, `name="quantity" value="`+htmlEscape(q)+`"`, "the field keeps what was typed")
	}
	_, page := b.get("/basket")
	require.Contains(t, page, "Your basket is empty")

	resp, _ := b.post("/basket/add", url.Values{"id": {"12793"}, "quantity": {" 97 "}})
	require.Equal(t, "/basket", resp.Header.Get("Location"))
	resp, _ = b.post("/basket/add", url.Values{"id": {"12793"}, "quantity": {"5"}})
	require.Equal(t, "/basket?note=capped", resp.Header.Get("Location"))
	_, page = b.get(resp.Header.Get("Location"))
	assert.Contains(t, page, "You can order at most 99 of one product, so that line holds 99 now.")
	assert.Contains(t, page, "Basket (99)")

	// A basket holds maxLines different products.
	cat := testCatalog(t)
	for _, p := range cat.products[1:maxLines] {
		resp, _ := b.post("/basket/add", url.Values{"id": {p.ID}})
		require.Equal(t, "/basket", resp.Header.Get("Location"), p.ID)
	}
	resp, _ = b.post("/basket/add", url.Values{"id": {cat.products[maxLines].ID}})
	require.Equal(t, "/basket?note=full", resp.Header.Get("Location"))
	_, page = b.get(resp.Header.Get("Location"))
	assert.Contains(t, page, "The basket holds at most 20 different products")
	assert.Contains(t, page, "Basket ("+strconv.Itoa(99+maxLines-1)+")")
}

func htmlEscape(s string) string {
	return strings.NewReplacer(`"`, "&#34;", "&", "&amp;", "<", "&lt;").Replace(s)
}

func TestProductPictures(t *testing.T) {
	t.Parallel()
	_, _, b := newShopper(t)
	cat := testCatalog(t)
	seen := map[string]bool{}
	for _, p := range cat.products {
		resp, svg := b.get(pictureURL(p.ID))
		require.Equal(t, http.StatusOK, resp.StatusCode, p.ID)
		assert.Equal(t, "image/svg+xml", resp.Header.Get("Content-Type"))
		var doc struct {
			XMLName xml.Name
			ViewBox string `xml:"viewBox,attr"`
		}
		require.NoError(t, xml.Unmarshal([]byte(svg), &doc), "%s is well-formed XML", p.ID)
		assert.Equal(t, "svg", doc.XMLName.Local)
		assert.Equal(t, "0 0 200 150", doc.ViewBox)
		seen[svg] = true
	}
	assert.Greater(t, len(seen), len(cat.products)/2, "products have pictures of their own")
	for _, path := range []string{"/pictures/nope.svg", "/pictures/12793", "/pictures/12793.png"} {
		resp, _ := b.get(path)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	_, page := b.get("/")
	assert.Contains(t, page, `<img src="/pictures/12793.svg"`, "lists show pictures")
	_, page = b.get("/products/12793")
	assert.Contains(t, page, `src="/pictures/12793.svg" alt="Trail Runner 2"`)
}

// The search page has one search box, the header's, holding the query.
func TestSearchPageHasOneSearchBox(t *testing.T) {
	t.Parallel()
	_, _, b := newShopper(t)
	_, page := b.get("/search?q=wool")
	assert.Equal(t, 1, strings.Count(page, `type="search"`))
	assert.Contains(t, page, `name="q" value="wool"`)
	_, page = b.get("/search")
	assert.Equal(t, 1, strings.Count(page, `type="search"`))
	assert.Contains(t, page, "Type what you are looking for")
}
