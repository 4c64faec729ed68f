// baseline-app is a bare Wails app like `wails init`'s vanilla template (a
// window with a page and one bound Greet method). make bench builds it the
// same way as the real app and measures both, so the app's memory and CPU
// are compared with the floor Wails and WebKit set, on the same machine in
// the same run.
package main

import (
	"context"
	"embed"
	"fmt"
	"os"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
)

//go:embed all:frontend
var assets embed.FS

// App is the template's bound struct.
type App struct{ ctx context.Context }

// Greet is the template's bound method.
func (a *App) Greet(name string) string { return fmt.Sprintf("Hello %s, It's show time!", name) }

func main() {
	a := &App{}
	err := wails.Run(&options.App{
		Title:            "baseline",
		Width:            1024,
		Height:           768,
		AssetServer:      &assetserver.Options{Assets: assets},
		BackgroundColour: &options.RGBA{R: 27, G: 38, B: 54, A: 1},
		OnStartup:        func(ctx context.Context) { a.ctx = ctx },
		Bind:             []any{a},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
