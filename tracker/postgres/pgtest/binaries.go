package pgtest

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
)

// debianBinaries is where Debian's postgresql-NN packages put the server
// programs, one directory per major version; none of them is on $PATH.
const debianBinaries = "/usr/lib/postgresql/*/bin/initdb"

// errNoBinaries says how to get what is missing.
var errNoBinaries = errors.New("pgtest: no PostgreSQL server programs (looked for " + debianBinaries +
	" and initdb on $PATH). Install them with `apt-get install -y postgresql` (or `make deps`), " +
	"or set " + envDSN + " to a server where this user may CREATE DATABASE")

// findBinaries returns the directory holding initdb and postgres: the
// highest major version among the initdbs that pattern (debianBinaries)
// matches, else the directory of initdb on $PATH.
func findBinaries(pattern string) (string, error) {
	initdbs, _ := filepath.Glob(pattern)
	best, bestVersion := "", -1
	for _, initdb := range initdbs {
		dir := filepath.Dir(initdb)
		// /usr/lib/postgresql/15/bin: the major version is the parent's name.
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		if err != nil || v <= bestVersion || !executable(filepath.Join(dir, "postgres")) {
			continue
		}
		best, bestVersion = dir, v
	}
	if best != "" {
		return best, nil
	}
	if initdb, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(initdb)
		if executable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", errNoBinaries
}

func executable(path string) bool {
	_, err := exec.LookPath(path)
	return err == nil
}
