// Analyst Alerts, the desktop tray app. main only wires: configuration
// from the environment, logging, the app's services (desktop/app), the
// tray, and Wails with the popover window. Build with the Wails build tags:
//
//	go build -tags desktop,production,webkit2_41 -o build/bin/analyst-alerts .
//
// (make desktop does this, after building the page into frontend/dist/app;
// without it the app shows a placeholder page, see assets.go.)
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"

	"github.com/keboola/analyst-alerts/desktop/app"
	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/desktop/applog"
	"github.com/keboola/analyst-alerts/desktop/config"
	"github.com/keboola/analyst-alerts/desktop/gcpolicy"
	"github.com/keboola/analyst-alerts/desktop/handoff"
	"github.com/keboola/analyst-alerts/desktop/popover"
	"github.com/keboola/analyst-alerts/desktop/shell"
	"github.com/keboola/analyst-alerts/desktop/tray"
)

func main() {
	// No forced collection every 2 minutes at idle (issue 17); the heap
	// still grows no further than under GOGC=100. A GOGC or GOMEMLIMIT the
	// user set wins.
	gcpolicy.Apply()
	// A sign-in link in the arguments holds the token: re-execute (same
	// process) without it, so ps and /proc/<pid>/cmdline of the running app
	// never show it, and get it back from the inherited pipe. os.Args gets
	// it back in memory only, for Wails' single-instance hand-over, which
	// forwards os.Args[1:] to the running app over the session bus.
	if cfg, err := config.FromEnviron(os.Environ()); err == nil {
		if err := handoff.Hide(os.Args, cfg.Scheme); err != nil {
			fmt.Fprintln(os.Stderr, "analyst-alerts:", err)
		}
	}
	os.Args = handoff.Restore(os.Args)
	os.Exit(run(os.Args, os.Environ(), os.Stderr))
}

func run(args, env []string, stderr io.Writer) int {
	cfg, err := config.FromEnviron(env)
	if err != nil {
		fmt.Fprintln(stderr, "analyst-alerts:", err)
		return 2
	}
	var extra io.Writer
	if cfg.LogStderr {
		extra = stderr
	}
	logger, closer, err := applog.Open(cfg.LogDir, cfg.LogLevel, extra)
	if err != nil {
		fmt.Fprintln(stderr, "analyst-alerts:", err)
		return 1
	}
	defer closer.Close()
	slog.SetDefault(logger)

	// A second launch (the browser handing over a sign-in link, or the user
	// starting the app again) gives its arguments to the running app and
	// ends here, successfully, saying so.
	if pid, err := shell.HandOver(config.AppID, args[1:]); err != nil {
		slog.Warn("cannot hand over to the running app; starting", slog.Any("error", err))
	} else if pid != 0 {
		what := "showed its window"
		for _, a := range args[1:] {
			if strings.HasPrefix(strings.ToLower(a), strings.ToLower(cfg.Scheme)+":") {
				what = "handed it the sign-in link and showed its window"
			}
		}
		slog.Info("handed over to the running app", slog.Uint64("pid", uint64(pid)))
		fmt.Printf("analyst-alerts: already running (pid %d): %s\n", pid, what)
		return 0
	}

	sh := &shell.Shell{}
	var a *app.App
	tr := tray.New(tray.Options{
		Title:      "Analyst Alerts",
		OnOpen:     func() { a.ShowView("") },
		OnSettings: func() { a.ShowView("settings") },
		OnQuit:     sh.Quit,
	})
	a, err = app.New(app.Deps{Config: cfg, Notifier: sh, UI: sh, Badge: tr, Browser: sh.OpenURL, Version: appVersion()})
	if err != nil {
		slog.Error("cannot start", slog.Any("error", err))
		fmt.Fprintln(stderr, "analyst-alerts:", err)
		return 1
	}
	startTray, endTray := tr.Start()
	if goruntime.GOOS == "darwin" {
		shell.AccessoryAtLaunch()            // no Dock icon, as early as Wails allows
		shell.NotificationDelegateAtLaunch() // before the launch ends: a banner's click that launched the app
		startTray()                          // the status item must be made on the main thread
	}
	slog.Info("starting", slog.String("version", appVersion()), slog.String("config", cfg.ConfigDir), slog.String("log", cfg.LogDir))
	page, built := pageAssets(embedded)
	if !built {
		slog.Warn("this build has no page (frontend/dist/app): it shows the placeholder; run make setup and build again")
	}

	err = wails.Run(&options.App{
		Title:             "Analyst Alerts",
		Width:             popover.Width,
		Height:            popover.Height,
		DisableResize:     true,
		Frameless:         true,
		StartHidden:       true,
		HideWindowOnClose: true,
		AlwaysOnTop:       true,
		BackgroundColour:  &options.RGBA{R: 0, G: 0, B: 0, A: 0},
		AssetServer: &assetserver.Options{
			Assets:  page,
			Handler: http.HandlerFunc(a.ServeChart), // /chart/<id>: images fetched with the token
		},
		OnStartup: func(ctx context.Context) {
			sh.Started(ctx, a.HandleNotificationAction)
			if shell.OtherInstanceRunning(config.AppID) {
				// A second launch that got past HandOver (two at once): Wails
				// forwards the arguments (the sign-in link) to the running app
				// and exits right after this starts. Should it fail to, this
				// copy goes on as the app.
				slog.Info("another instance is running; handing the arguments over")
				time.Sleep(5 * time.Second)
			}
			if goruntime.GOOS != "darwin" {
				startTray() // after Wails' single-instance check: no duplicate icon
			}
			if why := tray.HostMissing(); why != "" {
				a.NoTray(why) // nothing to click: the window shows and says how to get an icon
			}
			a.Start()
			// Linux/Windows: the sign-in link as an argument. Off the UI
			// thread: the link is checked with the server first.
			go a.HandleArgs(args[1:])
		},
		OnDomReady: sh.DomReady,
		OnShutdown: func(ctx context.Context) {
			a.Stop()
			endTray()
			sh.Shutdown(ctx)
		},
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: config.AppID,
			OnSecondInstanceLaunch: func(d options.SecondInstanceData) {
				sh.Show()
				go a.HandleArgs(d.Args) // a later sign-in link reaches the running app
			},
		},
		Bind:           []any{a.API()},
		ErrorFormatter: apperr.Format,
		Mac: &mac.Options{
			OnUrlOpen:            func(url string) { go a.HandleDeepLink(url) },
			WebviewIsTransparent: true,
			About:                &mac.AboutInfo{Title: "Analyst Alerts", Message: "Real-time alerts from your analyst scripts."},
		},
		Linux:   linuxOptions(),
		Windows: &windows.Options{WebviewIsTransparent: false},
	})
	if err != nil {
		slog.Error("wails", slog.Any("error", err))
		fmt.Fprintln(stderr, "analyst-alerts:", err)
		return 1
	}
	return 0
}

// linuxOptions: the page is drawn without the GPU. Wails turns WebKitGTK's
// hardware acceleration off only when options.Linux is nil (its workaround
// for wailsapp/wails#2977, WebKit bugs 228268 and 261874); any Options value
// gets the zero WebviewGpuPolicy, which is Always, and with it WebKitGTK's
// accelerated compositing: the mode in which those bugs leave a page blank
// or stale until an input event (issue 11: the popover said "Signed out"
// after a successful sign-in until clicked; the tests hid it with
// WEBKIT_DISABLE_COMPOSITING_MODE=1, which turns the same mode off and is no
// longer set). A list of alerts needs nothing from the GPU.
func linuxOptions() *linux.Options {
	return &linux.Options{ProgramName: "analyst-alerts", WebviewGpuPolicy: linux.WebviewGpuPolicyNever}
}
