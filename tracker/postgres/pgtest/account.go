//go:build unix

package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// serverUsers are the accounts that may run the cluster when the tests run as
// root, in order of preference: Debian's package creates postgres.
var serverUsers = []string{"postgres", "nobody"}

// account is the user that runs initdb and postgres.
type account struct {
	name string
	uid  int
	gid  int
}

// serverAccount returns the account to run the cluster as, or nil to run it
// as the tests' own user. PostgreSQL refuses to run as root.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range serverUsers {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("pgtest: user %s: %w", name, err)
		}
		return &account{name: name, uid: uid, gid: gid}, nil
	}
	return nil, errors.New("pgtest: the tests run as root, PostgreSQL refuses to, and there is no postgres user to run it as: " +
		"`apt-get install -y postgresql` creates one")
}

// credential is what exec needs to run a program as a; nil runs it as the
// tests' user.
func (a *account) credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	// No supplementary groups: root's are not the server's.
	return &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid), Groups: []uint32{}}
}

// chown gives a the path, so that the server can write there.
func (a *account) chown(path string) error {
	if a == nil {
		return nil
	}
	return os.Chown(path, a.uid, a.gid)
}
