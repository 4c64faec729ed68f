package server

// MaxIdleHandshakers is maxIdleHandshakers, for the external tests that
// count goroutines: that many handshakers may wait for the next connect.
const MaxIdleHandshakers = maxIdleHandshakers
