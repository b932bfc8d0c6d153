// Command cluster runs the example webshop as a shop with several instances
// runs it: one PostgreSQL, two (or more) instances of the webshop with the
// same cookie keys, and a reverse proxy in front that sends each request to
// the next instance in turn, so that one visitor's requests land on all of
// them. Run it from the repository root:
//
//	make run-cluster
//
// and open http://localhost:8080. Flags:
//
//	-addr       address of the proxy (default localhost:8080)
//	-instances  how many instances of the webshop (default 2)
//	-webshop    the webshop binary (make run-cluster builds it)
//
// PostgreSQL is a throwaway cluster from Debian's postgresql package
// (initdb in a temporary directory, removed at the end; make deps installs
// the package), or a database created on $VISITRACK_POSTGRES_DSN's server
// when that is set. The instances log with their number; every request's
// answer carries an X-Instance header naming the one that served it.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/tracker/postgres/pgtest"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "address of the proxy in front of the instances")
	n := flag.Int("instances", 2, "how many instances of the webshop to run")
	webshop := flag.String("webshop", "", "the webshop binary (go build -o webshop ./examples/webshop)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *n, *webshop); err != nil {
		slog.Error("cluster", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string, n int, webshop string) error {
	if webshop == "" || n < 1 {
		return errors.New("cluster: -webshop names the webshop binary, and -instances is at least 1")
	}
	dsn, stopPG, err := pgtest.Throwaway("visitrack")
	if err != nil {
		return err
	}
	defer func() {
		if err := stopPG(); err != nil {
			slog.Error("cluster: stopping PostgreSQL", "err", err)
		}
	}()
	slog.Info("cluster: PostgreSQL ready")
	ks := keys.Generate()
	keyEnv := hex.EncodeToString(ks[0]) + "," + hex.EncodeToString(ks[1])
	// One dashboard password for every instance, as the proxy sends each
	// request to the next one.
	password := os.Getenv("VISITRACK_DASHBOARD_PASSWORD")
	if password == "" {
		password = rand.Text()
	}

	var backends []*url.URL
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			p.Process.Signal(os.Interrupt)
		}
		for _, p := range procs {
			p.Wait()
		}
	}()
	for i := range n {
		port, err := freePort()
		if err != nil {
			return err
		}
		a := "127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.Command(webshop, "-addr", a)
		cmd.Env = append(os.Environ(), "VISITRACK_KEYS="+keyEnv, "VISITRACK_POSTGRES_URL="+dsn,
			"VISITRACK_DASHBOARD_PASSWORD="+password)
		cmd.Stdout, cmd.Stderr = prefixed(i+1), prefixed(i+1)
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("cluster: start instance %d: %w", i+1, err)
		}
		procs = append(procs, cmd)
		u := &url.URL{Scheme: "http", Host: a}
		if err := waitReady(ctx, u); err != nil {
			return fmt.Errorf("cluster: instance %d: %w", i+1, err)
		}
		backends = append(backends, u)
	}
	var next atomic.Int64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			i := int(next.Add(1)-1) % len(backends)
			r.SetURL(backends[i])
			r.Out.Host = r.In.Host
			r.Out.Header.Set("X-Cluster-Instance", strconv.Itoa(i+1))
		},
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Set("X-Instance", resp.Request.Header.Get("X-Cluster-Instance"))
			return nil
		},
	}
	srv := &http.Server{Addr: addr, Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	slog.Info("cluster: serving", "url", "http://"+addr, "instances", n)
	slog.Info("cluster: the dashboard", "url", "http://"+addr+"/dashboard/", "user", "owner", "password", password)
	go srv.Serve(ln)
	<-ctx.Done()
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until the instance at u answers, for up to 30 seconds.
func waitReady(ctx context.Context, u *url.URL) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String()+"/me", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("not answering after 30 s")
}

// prefixed writes an instance's output to stderr, each line prefixed with
// its number.
type prefixed int

func (p prefixed) Write(b []byte) (int, error) {
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) > 0 {
			fmt.Fprintf(os.Stderr, "[%d] %s", int(p), line)
		}
	}
	return len(b), nil
}
