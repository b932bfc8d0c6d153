// Package sessiontest helps test code built on the session and middleware
// packages. Clock is a time source a test moves by hand, to give as the Now
// of their configurations.
package sessiontest
