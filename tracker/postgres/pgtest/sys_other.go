//go:build unix && !linux

package pgtest

import "syscall"

// procAttr runs a server program as cred in a process group of its own, so
// that signals sent to the tests' group (a terminal's Ctrl-C) are not taken
// by postgres as an order to shut down. Only on Linux does the cluster die
// with a test binary that is killed before Main stops it.
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true}
}

// memoryRoot is where Linux has a memory file system for clusters; "" here.
func memoryRoot() string { return "" }
