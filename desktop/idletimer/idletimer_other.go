//go:build !linux

package idletimer

import (
	"errors"
	"time"
)

func newFD(time.Duration) (Timer, error) { return nil, errors.ErrUnsupported }
