//go:build !unix

package pgtest

import "errors"

// cluster is the throwaway cluster, which needs a unix system.
type cluster struct{}

func startCluster() (*cluster, error) {
	return nil, errors.New("pgtest: a throwaway PostgreSQL cluster needs Linux or another unix; " +
		"set " + envDSN + " to a server where this user may CREATE DATABASE")
}

func (*cluster) stop(bool) error   { return nil }
func (*cluster) dsn(string) string { return "" }
func (*cluster) logTail() string   { return "" }
