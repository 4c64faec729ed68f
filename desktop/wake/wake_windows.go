//go:build windows

package wake

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// osSources on Windows: PowerRegisterSuspendResumeNotification calls back
// on each resume (no window needed, unlike WM_POWERBROADCAST), and the IP
// Helper's NotifyUnicastIpAddressChange and NotifyIpInterfaceChange on
// each address or interface change. A clock set by hand reaches windows
// only (WM_TIMECHANGE) and does not break a link: not watched. The
// callbacks are registered once for the process and stay.
func osSources(e sourceEnv) covers {
	winOnce.Do(func() { winPower, winNet = registerWindows() })
	if winPower != nil {
		e.log.Warn("cannot watch for resumes", slog.Any("error", winPower))
	}
	if winNet != nil {
		e.log.Warn("cannot watch for network changes", slog.Any("error", winNet))
	}
	winHub.add(e)
	return covers{sleep: winPower == nil, network: winNet == nil}
}

var (
	winHub           hub
	winOnce          sync.Once
	winPower, winNet error

	powrprof          = windows.NewLazySystemDLL("powrprof.dll")
	procPowerRegister = powrprof.NewProc("PowerRegisterSuspendResumeNotification")
	powerParams       deviceNotifySubscribeParameters // must outlive the registration
	powerHandle       uintptr
	netAddr, netIface windows.Handle
)

// DEVICE_NOTIFY_SUBSCRIBE_PARAMETERS
type deviceNotifySubscribeParameters struct {
	callback, context uintptr
}

const (
	deviceNotifyCallback  = 2    // DEVICE_NOTIFY_CALLBACK
	pbtAPMResumeSuspend   = 0x7  // PBT_APMRESUMESUSPEND: resumed by the user
	pbtAPMResumeAutomatic = 0x12 // PBT_APMRESUMEAUTOMATIC: resumed, user or not
)

func registerWindows() (power, network error) {
	powerParams.callback = windows.NewCallback(func(context, typ, setting uintptr) uintptr {
		if typ == pbtAPMResumeAutomatic || typ == pbtAPMResumeSuspend {
			winHub.send(resumed)
		}
		return 0
	})
	if err := procPowerRegister.Find(); err != nil {
		power = err
	} else if r, _, _ := procPowerRegister.Call(deviceNotifyCallback, uintptr(unsafe.Pointer(&powerParams)),
		uintptr(unsafe.Pointer(&powerHandle))); r != 0 { // a Win32 error code
		power = fmt.Errorf("PowerRegisterSuspendResumeNotification: %w", syscall.Errno(r))
	}
	changed := windows.NewCallback(func(context, row, typ uintptr) uintptr {
		winHub.send(netChanged)
		return 0
	})
	network = errors.Join(
		windows.NotifyUnicastIpAddressChange(windows.AF_UNSPEC, changed, nil, false, &netAddr),
		windows.NotifyIpInterfaceChange(windows.AF_UNSPEC, changed, nil, false, &netIface))
	return power, network
}
