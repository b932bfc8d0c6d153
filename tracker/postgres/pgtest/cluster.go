//go:build unix

package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

const (
	// port only names the socket file (.s.PGSQL.5432): the cluster listens on
	// no TCP port, and its socket directory is its own.
	port = 5432

	startTimeout = time.Minute
	stopTimeout  = 30 * time.Second
)

// settings are appended to the cluster's postgresql.conf, so that a kept
// cluster started again by hand has them too. Durability is off: a test
// database that does not survive a crash of the machine loses nothing.
const settings = `
# visitrack pgtest: a throwaway cluster for tests
listen_addresses = ''
port = %d
unix_socket_directories = '%s'
max_connections = 200
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_checkpoints = off
`

// cluster is a throwaway PostgreSQL cluster: a data directory, a unix socket
// and a running postgres, all in dir.
type cluster struct {
	dir     string   // holds data/, the socket, postgres.log and the owner file
	bin     string   // directory of initdb, pg_ctl and postgres
	account *account // who runs postgres; nil: the tests' user
	proc    *os.Process
	exited  chan struct{} // closed when postgres has exited
}

// startCluster initialises a cluster in a new directory and starts it.
func startCluster() (*cluster, error) {
	bin, err := findBinaries(debianBinaries)
	if err != nil {
		return nil, err
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, err
	}
	for _, root := range []string{memoryRoot(), tempRoot()} {
		if root != "" {
			sweepStale(root)
		}
	}
	root := memoryRoot()
	if root == "" {
		root = tempRoot()
	}
	dir, err := os.MkdirTemp(root, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c := &cluster{dir: dir, bin: bin, account: acct, exited: make(chan struct{})}
	if err := c.init(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.start(); err != nil {
		if c.proc != nil {
			c.proc.Kill()
			<-c.exited
		}
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// tempRoot is where cluster directories go: the temp dir, unless its path is
// so long that the socket's would pass the 107 bytes a unix socket may have.
func tempRoot() string {
	if root := os.TempDir(); len(root) <= 64 {
		return root
	}
	return "/tmp"
}

// init writes the owner file, hands dir to the server's account and runs
// initdb.
func (c *cluster) init() error {
	if err := writeOwner(c.dir); err != nil {
		return err
	}
	if err := c.account.chown(c.dir); err != nil {
		return fmt.Errorf("pgtest: hand %s to user %s: %w", c.dir, c.account.name, err)
	}
	cmd := c.command("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s", cmd, err, out)
	}
	conf, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	_, err = fmt.Fprintf(conf, settings, port, c.dir)
	return errors.Join(err, conf.Close())
}

// start runs postgres and waits until it accepts connections.
func (c *cluster) start() error {
	log, err := os.Create(c.logPath())
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer log.Close()
	// Its account writes there when a kept cluster is started by hand.
	if err := c.account.chown(c.logPath()); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	cmd := c.command("postgres", "-D", c.data())
	cmd.Stdout, cmd.Stderr = log, log
	started := make(chan error)
	go func() {
		// The kernel's parent-death signal (procAttr) fires when the thread
		// that started postgres ends, and the Go runtime ends a locked
		// thread only when its goroutine returns: this one returns once
		// postgres has exited.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		c.proc = cmd.Process
		started <- nil
		cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("pgtest: %s: %w", cmd, err)
	}
	deadline := time.Now().Add(startTimeout)
	for !c.ready() {
		select {
		case <-c.exited:
			return fmt.Errorf("pgtest: postgres exited while starting\n%s", c.logTail())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres did not start within %s\n%s", startTimeout, c.logTail())
		}
	}
	return nil
}

// ready reports whether postgres accepts connections, as pg_ctl -w decides
// it: the status line of postmaster.pid says "ready".
func (c *cluster) ready() bool {
	pid, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return false
	}
	lines := strings.Split(string(pid), "\n")
	return len(lines) > 7 && strings.TrimSpace(lines[7]) == "ready"
}

// stop shuts postgres down and removes the cluster's directory. Unless it is
// kept, the shutdown is immediate, as pg_ctl stop -m immediate: nothing needs
// a checkpoint. A kept cluster gets a clean shutdown and a kept file that
// keeps it from the sweep.
func (c *cluster) stop(keep bool) error {
	sig := syscall.SIGQUIT
	if keep {
		sig = syscall.SIGINT
	}
	c.proc.Signal(sig)
	select {
	case <-c.exited:
	case <-time.After(stopTimeout):
		c.proc.Kill()
		<-c.exited
	}
	if !keep {
		if err := os.RemoveAll(c.dir); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		return nil
	}
	if err := os.WriteFile(filepath.Join(c.dir, keptFile), nil, 0o644); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	start := fmt.Sprintf("%s -D %s -l %s start", filepath.Join(c.bin, "pg_ctl"), c.data(), c.logPath())
	if c.account != nil {
		start = "runuser -u " + c.account.name + " -- " + start
	}
	fmt.Fprintf(os.Stderr, "pgtest: kept the test cluster in %s; start it with\n\t%s\n"+
		"connect with\n\tpsql 'host=%s port=%d user=postgres dbname=<the kept database>'\n"+
		"and remove it (stopped) with rm -rf %s\n",
		c.dir, start, c.dir, port, c.dir)
	return nil
}

// dsn is the URL of database db on the cluster, the socket's directory in
// its host parameter. The slashes of the path stay as they are, which a query
// allows, so that a person can read the URL in a log.
func (c *cluster) dsn(db string) string {
	host := strings.ReplaceAll(url.QueryEscape(c.dir), "%2F", "/")
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + db,
		RawQuery: fmt.Sprintf("host=%s&port=%d&sslmode=disable", host, port)}
	return u.String()
}

// logTail is the end of the server's log, for error messages.
func (c *cluster) logTail() string {
	log, err := os.ReadFile(c.logPath())
	if err != nil {
		return ""
	}
	const max = 4 << 10
	if len(log) > max {
		log = log[len(log)-max:]
		if i := bytes.IndexByte(log, '\n'); i >= 0 {
			log = log[i+1:]
		}
	}
	return "postgres log (" + c.logPath() + "):\n" + string(log)
}

// command runs one of the server programs as the server's account, in dir
// (its home may be closed to that account).
func (c *cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.SysProcAttr = procAttr(c.account.credential())
	return cmd
}

func (c *cluster) data() string    { return filepath.Join(c.dir, "data") }
func (c *cluster) logPath() string { return filepath.Join(c.dir, "postgres.log") }
