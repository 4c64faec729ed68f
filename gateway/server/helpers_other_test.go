//go:build !unix

package server_test

import "testing"

// dialSmallReceiveBuffer is dial where the buffer cannot be set this way.
func dialSmallReceiveBuffer(t testing.TB, url string) *wsClient { return dial(t, url) }
