package installtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/telegram/botapitest"
)

// What the server's package creates that outlives dpkg --purge on purpose
// (Debian keeps system users; files may be theirs). The test removes what it
// caused, so the machine's other tests see the system as it was.
var (
	serverGroups = []string{"ws-dispatch", "data-ops", "dataread"}
	serverUsers  = []string{"deploy", "notify-bot"}
)

// TestServerPackage installs analyst-alerts-server with dpkg -i and checks
// what deploy/README.md gives (checkServerInstalled). Then it starts the
// installed gateway by hand as its unit would (user deploy, group ws-dispatch, the unit's environment
// and the secrets file the package wrote), runs the installed notify-runner
// as an analyst with a script that notifies, and reads the alert from the
// gateway's WebSocket as that analyst's app does and from the analyst's
// Telegram chat (the installed bot, as its unit starts it, against a Bot API
// stand-in); then starts the portal as
// www-data and runs the script by the app's "Run" (sudo through the
// installed sudoers entry) for a second alert. dpkg --purge removes the
// package's files.
func TestServerPackage(t *testing.T) {
	deb := needs(t, "ANALYST_PKG_SERVER")
	if installed("analyst-alerts-server") {
		run(t, "dpkg", "--purge", "analyst-alerts-server")
	}
	restore := snapshotAccounts(t)
	const analyst = "alertpkg"
	t.Cleanup(func() {
		exec.Command("dpkg", "--purge", "analyst-alerts-server").Run()
		exec.Command("userdel", "-r", analyst).Run()
		restore()
	})

	wantSystemctl(t, "dpkg -i", underSystemd(t, "dpkg", "-i", deb), "daemon-reload")
	// Installing it again runs the upgrade's scripts (prerm upgrade,
	// postinst configure <old version>): the services keep running and
	// restart on the new binaries.
	wantSystemctl(t, "dpkg -i again (upgrade)", underSystemd(t, "dpkg", "-i", deb),
		"daemon-reload", "daemon-reload", "try-restart "+serverServices)

	units, secrets := checkServerInstalled(t)

	// The gateway, started as systemd would start the installed unit.
	env := unitEnv(t, units[0])
	for k, v := range secrets {
		env[k] = v
	}
	port := freePort(t)
	env["WS_GATEWAY_PORT"] = fmt.Sprint(port) // not the unit's 8765: a developer's make run may hold it
	// RuntimeDirectory= and StateDirectory=: owned by User= and Group=.
	run(t, "install", "-d", "-m", "0755", "-o", "deploy", "-g", "ws-dispatch", "/run/ws-gateway")
	run(t, "install", "-d", "-m", "0750", "-o", "deploy", "-g", "ws-dispatch", "/var/lib/ws-gateway")
	t.Cleanup(func() { os.RemoveAll("/run/ws-gateway"); os.RemoveAll("/var/lib/ws-gateway") })
	gwLog := filepath.Join(t.TempDir(), "ws-gateway.log")
	gw := startAs(t, "deploy", "ws-dispatch", env, gwLog, "/usr/local/bin/ws-gateway", "serve")
	waitForLog(t, "the gateway's socket", 15*time.Second, gwLog, func() bool {
		_, err := os.Stat(env["WS_DISPATCH_SOCKET"])
		return err == nil && gw.ProcessState == nil
	})
	if got := run(t, "stat", "-c", "%a %U:%G", env["WS_DISPATCH_SOCKET"]); got != "770 deploy:ws-dispatch" {
		t.Errorf("dispatch socket %s, want 770 deploy:ws-dispatch", got)
	}

	// An analyst, as deploy/README.md adds one, with a script that notifies.
	run(t, "useradd", "--create-home", "--groups", "ws-dispatch,dataread", "--shell", "/bin/sh", analyst)
	home := run(t, "sh", "-c", "getent passwd "+analyst+" | cut -d: -f6")
	scripts := filepath.Join(home, "user", "notifications")
	run(t, "install", "-d", "-o", analyst, "-g", analyst, "-m", "0750", filepath.Join(home, "user"), scripts)
	script := filepath.Join(scripts, "pkg_check.py")
	if err := os.WriteFile(script, []byte(`import json; print(json.dumps({"notify": True, "title": "Installed <b>server</b> works", "message": "from the packaged notify-runner"}))`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "chown", analyst+":"+analyst, script)

	// The analyst's app: connected before the alert, as the analyst.
	tok, _, err := protocol.IssueToken([]byte(secrets["DESKTOP_JWT_SECRET"]), secrets["DESKTOP_JWT_ISSUER"], analyst, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(fmt.Sprintf("ws://127.0.0.1:%d/", port), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(protocol.AuthFrame{Type: protocol.TypeAuth, Token: tok}); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ok protocol.AuthOK
	if err := ws.ReadJSON(&ok); err != nil || ok.Type != protocol.TypeAuthOK || ok.Username != analyst {
		t.Fatalf("auth: %+v %v (gateway log:\n%s)", ok, err, readFile(gwLog))
	}

	// The Telegram bot, as its unit starts it (notify-bot, group data-ops,
	// UMask 0007), against a faithful stand-in of the Bot API, with the
	// analyst's chat linked as the portal links it.
	botAPI := botapitest.New("123456:pkgtest-0123456789abcdefghijklmnopqrstuv", "pkgtest_bot")
	apiSrv := httptest.NewServer(botAPI.Handler())
	t.Cleanup(apiSrv.Close) // after the bot stops (cleanups run last first): it long-polls
	const chatID = 4242
	botAPI.OpenChat(chatID)
	links := fmt.Sprintf(`{%q: {"chat_id": %d, "linked_at": "2026-01-01T00:00:00Z"}}`, analyst, chatID)
	if err := os.WriteFile("/data/notifications/telegram_users.json", []byte(links), 0o660); err != nil {
		t.Fatal(err)
	}
	run(t, "chown", "root:data-ops", "/data/notifications/telegram_users.json")
	botEnv := unitEnv(t, units[2])
	botEnv["TELEGRAM_BOT_TOKEN"], botEnv["TELEGRAM_API_URL"] = botAPI.Token, apiSrv.URL
	botEnv["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
	run(t, "install", "-d", "-m", "0755", "-o", "notify-bot", "-g", "data-ops", "/run/notify-bot")
	t.Cleanup(func() { os.RemoveAll("/run/notify-bot") })
	botLog := filepath.Join(t.TempDir(), "notify-bot.log")
	startAs(t, "notify-bot", "data-ops", botEnv, botLog, "/bin/sh", "-c", "umask 0007 && exec /usr/local/bin/notify-bot")
	waitForLog(t, "the bot's socket", 15*time.Second, botLog, func() bool {
		_, err := os.Stat(botEnv["NOTIFY_BOT_SOCKET"])
		return err == nil
	})
	if got := run(t, "stat", "-c", "%a %U:%G", botEnv["NOTIFY_BOT_SOCKET"]); got != "770 notify-bot:ws-dispatch" {
		t.Errorf("bot socket %s, want 770 notify-bot:ws-dispatch", got)
	}

	// The cron line's command, as the analyst (deploy/notify-runner.cron).
	runner := exec.Command("setpriv", "--reuid", analyst, "--regid", analyst, "--init-groups", "--",
		"/usr/bin/env", "-i", "HOME="+home, "USER="+analyst, "LOGNAME="+analyst, "PATH=/usr/local/bin:/usr/bin:/bin",
		"NOTIFY_RUNNER_EVERY=5m", "/usr/local/bin/notify-runner")
	runner.Dir = home
	out, err := runner.CombinedOutput()
	if err != nil {
		t.Fatalf("notify-runner: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "notified=1") {
		t.Fatalf("notify-runner did not notify:\n%s", out)
	}
	note := nextAlert(t, ws, gwLog)
	if note.Title != "Installed <b>server</b> works" || note.Script != "pkg_check" {
		t.Fatalf("alert %+v", note)
	}
	msgs, err := botAPI.WaitBotMessages(chatID, 1, 15*time.Second)
	// Telegram's HTML: the title's markup arrives as text.
	if err != nil || !strings.Contains(msgs[0].Text, "Installed &lt;b&gt;server&lt;/b&gt; works") {
		t.Fatalf("no Telegram message in the analyst's chat: %+v %v\nrunner:\n%s\nbot:\n%s", msgs, err, out, readFile(botLog))
	}

	// The portal, as its unit starts it (www-data, group data-ops), with the
	// settings docs/deploy.md has the admin set (an OIDC client that is never
	// asked: the app's Bearer token is all this needs). The app's "Run" runs
	// the script through sudo and the installed sudoers entry, as the
	// analyst, and dispatches its alert.
	webEnv := unitEnv(t, units[1])
	for k, v := range secrets {
		webEnv[k] = v
	}
	webPort := freePort(t)
	webURL := fmt.Sprintf("http://127.0.0.1:%d", webPort)
	webEnv["WEBAPP_ADDR"] = fmt.Sprintf("127.0.0.1:%d", webPort)
	webEnv["WEBAPP_PUBLIC_URL"] = webURL
	webEnv["OIDC_CLIENT_ID"], webEnv["OIDC_CLIENT_SECRET"], webEnv["OIDC_ALLOWED_DOMAINS"] = "pkgtest", "pkgtest", "example.com"
	webEnv["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
	webLog := filepath.Join(t.TempDir(), "webapp.log")
	startAs(t, "www-data", "data-ops", webEnv, webLog, "/usr/local/bin/webapp")
	waitForLog(t, "the portal", 15*time.Second, webLog, func() bool {
		r, err := http.Get(webURL + "/health")
		if err == nil {
			r.Body.Close()
		}
		return err == nil && r.StatusCode == 200
	})
	req, _ := http.NewRequest("POST", webURL+"/api/desktop/scripts/run", strings.NewReader(`{"name":"pkg_check.py"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("run through the portal: %d %s\nportal log:\n%s", resp.StatusCode, body, readFile(webLog))
	}
	if note := nextAlert(t, ws, gwLog); note.Script != "pkg_check" {
		t.Fatalf("alert from the portal's run %+v", note)
	}
	gw.Process.Signal(syscall.SIGTERM)
	gw.Wait()

	wantSystemctl(t, "dpkg --purge", underSystemd(t, "dpkg", "--purge", "analyst-alerts-server"),
		"stop "+serverServices, "disable "+serverServices, "daemon-reload", "daemon-reload")
	for _, f := range append(units, "/usr/local/bin/ws-gateway", "/usr/local/bin/webapp", "/usr/local/bin/notify-runner",
		"/usr/local/bin/notify-scripts", "/usr/local/bin/notify-bot", "/etc/sudoers.d/notify-scripts",
		"/opt/data-analyst/.env", "/usr/share/analyst-alerts-server") {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("dpkg --purge left %s", f)
		}
	}
}

// serverUnits are the systemd units the server's package installs.
var serverUnits = []string{"/lib/systemd/system/ws-gateway.service", "/lib/systemd/system/webapp.service", "/lib/systemd/system/notify-bot.service"}

// checkServerInstalled checks what the server's package (.deb or .rpm) and
// its maintainer scripts set up, as deploy/README.md gives it: the users and
// groups, the folders' and secrets' modes, the sudoers entry (visudo -c),
// the units (systemd-analyze verify) and a fresh DESKTOP_JWT_SECRET. It
// returns the units and the secrets file's values.
func checkServerInstalled(t *testing.T) (units []string, secrets map[string]string) {
	t.Helper()
	// Users and groups.
	for _, g := range serverGroups {
		if _, err := user.LookupGroup(g); err != nil {
			t.Fatalf("group %s: %v", g, err)
		}
	}
	inGroups := func(name string, want ...string) {
		t.Helper()
		got := " " + run(t, "id", "-nG", name) + " "
		for _, g := range want {
			if !strings.Contains(got, " "+g+" ") {
				t.Errorf("%s is in %q, want %s among them", name, got, g)
			}
		}
	}
	inGroups("deploy", "data-ops")
	inGroups("notify-bot", "data-ops", "ws-dispatch")
	inGroups("www-data", "ws-dispatch", "data-ops")
	if g := run(t, "id", "-gn", "notify-bot"); g != "data-ops" {
		t.Errorf("notify-bot's primary group %s, want data-ops", g)
	}

	// Modes, owners (deploy/README.md, docs/security.md, docs/telegram.md).
	for _, m := range []struct {
		path, mode, owner string
	}{
		{"/data/notifications", "2775", "root:data-ops"},
		{"/data/notifications/images", "3775", "root:dataread"},
		{"/opt/data-analyst/.env", "600", "root:root"},
		{"/opt/data-analyst/telegram.env", "600", "root:root"},
		{"/etc/sudoers.d/notify-scripts", "440", "root:root"},
		{"/usr/local/bin/ws-gateway", "755", "root:root"},
		{"/usr/local/bin/notify-scripts", "755", "root:root"},
	} {
		if got := run(t, "stat", "-c", "%a %U:%G", m.path); got != m.mode+" "+m.owner {
			t.Errorf("%s: %s, want %s %s", m.path, got, m.mode, m.owner)
		}
	}
	run(t, "visudo", "-cf", "/etc/sudoers.d/notify-scripts")
	units = serverUnits
	if _, err := exec.LookPath("systemd-analyze"); err == nil {
		out, err := exec.Command("systemd-analyze", append([]string{"verify"}, units...)...).CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
		t.Logf("systemd-analyze verify: ok %s", strings.TrimSpace(string(out)))
	} else {
		t.Log("no systemd-analyze here: units not verified")
	}
	secrets = envFile(t, "/opt/data-analyst/.env")
	if len(secrets["DESKTOP_JWT_SECRET"]) < protocol.MinSecretBytes {
		t.Fatalf("postinst wrote a DESKTOP_JWT_SECRET of %d bytes", len(secrets["DESKTOP_JWT_SECRET"]))
	}
	return units, secrets
}

// nextAlert reads the WebSocket up to the next notification frame.
func nextAlert(t *testing.T, ws *websocket.Conn, gwLog string) protocol.Notification {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("no alert on the WebSocket: %v\ngateway:\n%s", err, readFile(gwLog))
		}
		var head struct{ Type string }
		json.Unmarshal(b, &head)
		if head.Type == "notification" {
			var note protocol.Notification
			if err := json.Unmarshal(b, &note); err != nil {
				t.Fatal(err)
			}
			return note
		}
	}
}

// startAs starts a command as user:group with that user's other groups
// (User=, Group= and the supplementary groups from /etc/group, as systemd
// does) and only env; it is stopped when the test ends.
func startAs(t *testing.T, usr, group string, env map[string]string, logPath string, argv ...string) *exec.Cmd {
	t.Helper()
	args := []string{"--reuid", usr, "--regid", group, "--init-groups", "--", "/usr/bin/env", "-i"}
	for k, v := range env {
		args = append(args, k+"="+v)
	}
	cmd := exec.Command("setpriv", append(args, argv...)...)
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		logf.Close()
	})
	return cmd
}

// unitEnv reads a unit's Environment= lines.
func unitEnv(t *testing.T, unit string) map[string]string {
	t.Helper()
	f, err := os.Open(unit)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Environment="); ok {
			if k, val, ok := strings.Cut(v, "="); ok {
				env[k] = val
			}
		}
	}
	return env
}

// envFile reads KEY=VALUE lines (systemd's EnvironmentFile=).
func envFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") && v != "" {
			env[k] = v
		}
	}
	return env
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func readFile(p string) string { b, _ := os.ReadFile(p); return string(b) }

// snapshotAccounts returns a function that removes the groups, users and
// data folder the package created and takes www-data out of the groups it
// was added to.
func snapshotAccounts(t *testing.T) func() {
	had := map[string]bool{}
	for _, g := range serverGroups {
		_, err := user.LookupGroup(g)
		had["g:"+g] = err == nil
	}
	for _, u := range serverUsers {
		_, err := user.Lookup(u)
		had["u:"+u] = err == nil
	}
	// The data folder outlives the package too (the alerts' data).
	_, err := os.Stat("/data")
	hadData := err == nil
	_, err = os.Stat("/data/notifications")
	hadNotifications := err == nil
	return func() {
		if !hadNotifications {
			os.RemoveAll("/data/notifications")
		}
		if !hadData {
			os.Remove("/data")
		}
		for _, u := range serverUsers {
			if !had["u:"+u] {
				exec.Command("userdel", u).Run()
			}
		}
		for _, g := range serverGroups {
			if !had["g:"+g] {
				exec.Command("gpasswd", "-d", "www-data", g).Run()
				exec.Command("groupdel", g).Run()
			}
		}
	}
}
