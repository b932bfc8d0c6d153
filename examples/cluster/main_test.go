package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cluster serves one shop from its instances: requests through the
// proxy go to each in turn, and a visitor keeps one ID.
func TestClusterServesOneShop(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "webshop")
	out, err := exec.Command("go", "build", "-o", bin, "../webshop").CombinedOutput()
	require.NoError(t, err, "%s", out)
	port, err := freePort()
	require.NoError(t, err)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, addr, 2, bin) }()
	defer func() {
		cancel()
		assert.NoError(t, <-done)
	}()

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	idRe := regexp.MustCompile(`id="visitor-id">([0-9a-v]{20})<`)
	var ids, instances []string
	require.Eventually(t, func() bool {
		resp, err := client.Get("http://" + addr + "/me")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}, 60*time.Second, 200*time.Millisecond, "the proxy answers")
	for range 4 {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/me", nil)
		require.NoError(t, err)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0 Safari/537.36")
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		m := idRe.FindSubmatch(body)
		require.NotNil(t, m)
		ids = append(ids, string(m[1]))
		instances = append(instances, resp.Header.Get("X-Instance"))
	}
	assert.Equal(t, []string{ids[0], ids[0], ids[0], ids[0]}, ids, "one visitor ID on every instance")
	assert.ElementsMatch(t, []string{"1", "2", "1", "2"}, instances, "each instance in turn")
}
