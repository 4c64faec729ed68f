//go:build !unix

package main

import "time"

func sleepPrecisely(d time.Duration) { time.Sleep(d) }
