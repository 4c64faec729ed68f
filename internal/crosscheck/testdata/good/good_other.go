//go:build !darwin

package good

import "github.com/wailsapp/wails/v2/pkg/runtime"

func name() string {
	_ = runtime.WindowShow
	return "other"
}
