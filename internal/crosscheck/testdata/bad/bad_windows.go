package bad

import (
	"context"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

func show(ctx context.Context) {
	runtime.WindowSetPosition(ctx, "10", 10) // wrong: x is an int
}
