//go:build unix

package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	dirPrefix = "visitrack-pgtest-" // cluster directories in the temp dir
	ownerFile = "owner"             // in a cluster directory: the test binary's pid
	keptFile  = "kept"              // in a cluster directory: kept on purpose, not swept
)

// writeOwner records in dir which process it belongs to, for sweepStale.
func writeOwner(dir string) error {
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}

// sweepStale removes the cluster directories that test binaries killed
// before Main could stop their cluster left in root (each is some 40 MB). A
// directory is left alone while its test binary or its postgres lives, when
// it was kept on purpose, and for its first hour when it names no owner (it
// may be one another binary is creating).
func sweepStale(root string) {
	dirs, _ := filepath.Glob(filepath.Join(root, dirPrefix+"*"))
	for _, dir := range dirs {
		if _, err := os.Lstat(filepath.Join(dir, keptFile)); err == nil {
			continue
		}
		owner := readPID(filepath.Join(dir, ownerFile))
		if owner == 0 {
			info, err := os.Stat(dir)
			if err != nil || time.Since(info.ModTime()) < time.Hour {
				continue
			}
		}
		if alive(owner) || alive(readPID(filepath.Join(dir, "data", "postmaster.pid"))) {
			continue
		}
		os.RemoveAll(dir)
	}
}

// readPID reads the process ID on the first line of a file; 0 if there is none.
func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// alive reports whether a process with this ID exists. A reused ID only
// keeps a stale directory for one more run.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
