package pgtest

import "syscall"

// procAttr runs a server program as cred in a process group of its own, so
// that signals sent to the tests' group (a terminal's Ctrl-C) are not taken
// by postgres as an order to shut down. The kernel sends SIGQUIT, postgres's
// immediate shutdown, when the thread that started the program ends (see
// cluster.start): a test binary that is killed takes its cluster with it, and
// the cluster still removes its shared memory on the way out.
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
}

// memoryRoot is /dev/shm when it is a tmpfs with room for clusters, else "".
// A cluster in memory creates a database in about 11 ms instead of 20 to
// 150 ms on a disk that other work keeps busy: with fsync off nothing waits
// for the disk, but creating and unlinking hundreds of files still goes
// through its journal.
func memoryRoot() string {
	const (
		dir        = "/dev/shm"
		tmpfsMagic = 0x01021994
		room       = 4 << 30 // containers often get 64 MB
	)
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil || fs.Type != tmpfsMagic || fs.Bavail*uint64(fs.Bsize) < room {
		return ""
	}
	return dir
}
