//go:build unix

// Who may use the bot's socket: Unix users, groups and peer credentials.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/internal/testusers"
	"github.com/keboola/analyst-alerts/webapp/telegram/notifybottest"
)

// The tests run as root, which the bot trusts. Other callers are real
// processes (curl) run as other users (internal/testusers), so the kernel's
// SO_PEERCRED is what the bot sees, not something a test could fake.

// curlAs makes one request on the bot socket as u and returns the status
// and the JSON error's code (if any) and the raw body.
func curlAs(t *testing.T, u testusers.User, socket, method, path, body string) (int, string, string) {
	t.Helper()
	status, raw := testusers.CurlUnix(t, u, socket, method, path, body)
	var e struct{ Error, Code string }
	_ = json.Unmarshal([]byte(raw), &e)
	return status, e.Code, raw
}

// photoOwnedBy writes a PNG the bot can read (it runs as root) owned by u.
func photoOwnedBy(t *testing.T, u testusers.User) (string, []byte) {
	t.Helper()
	p := pngFile(t)
	if err := os.Chown(p, int(u.UID), int(u.GID)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, data
}

// An analyst (here nobody) may send to itself, text and a photo it owns;
// never to another user, nor a file that is not its own; /health is open.
func TestUntrustedCallerMaySendOnlyToItself(t *testing.T) {
	b := start(t, map[string]int64{"nobody": 601, "petr": 501})
	b.OpenToEveryone(t)
	b.API.OpenChat(601)
	b.API.OpenChat(501)
	sock := b.Socket
	own, ownBytes := photoOwnedBy(t, testusers.Nobody(t))
	roots, _ := photoOwnedBy(t, testusers.User{Name: "root"}) // 0644 root's: nobody may read it, the bot must not send it for nobody

	for _, r := range []struct {
		path, body string
		status     int
		code, msg  string
	}{
		{"/send", `{"user":"petr","text":"phishing for petr"}`, 403, "forbidden", "uid 65534 (nobody) may only send to its own user; sending to others needs root or the bot's own user"},
		{"/send_photo", `{"user":"petr","photo_path":"` + own + `"}`, 403, "forbidden", "may only send to its own user"},
		{"/send_photo", `{"user":"nobody","photo_path":"` + roots + `"}`, 403, "forbidden", "may only send a file it owns"},
		{"/send_photo", `{"user":"nobody","photo_path":"/etc/shadow"}`, 403, "forbidden", "may only send a file it owns"},
		// A user no chat is linked to: refused for the caller first.
		{"/send", `{"user":"jana","text":"x"}`, 403, "forbidden", "may only send to its own user"},
	} {
		status, code, raw := curlAs(t, testusers.Nobody(t), sock, "POST", r.path, r.body)
		if status != r.status || code != r.code || !strings.Contains(raw, r.msg) {
			t.Errorf("nobody %s %s: %d %s, want %d %s %q", r.path, r.body, status, raw, r.status, r.code, r.msg)
		}
	}
	if status, _, raw := curlAs(t, testusers.Nobody(t), sock, "POST", "/send", `{"user":"nobody","text":"mine"}`); status != 200 {
		t.Fatalf("nobody sending to itself: %d %s", status, raw)
	}
	if status, _, raw := curlAs(t, testusers.Nobody(t), sock, "POST", "/send_photo", `{"user":"nobody","photo_path":"`+own+`","caption":"my chart"}`); status != 200 {
		t.Fatalf("nobody sending its own photo to itself: %d %s", status, raw)
	}
	// /health is open to every caller: counts and the bot's public name.
	if status, _, raw := curlAs(t, testusers.Nobody(t), sock, "GET", "/health", ""); status != 200 || !strings.Contains(raw, `"bot_username":"`+notifybottest.BotUsername+`"`) {
		t.Fatalf("nobody's health: %d %s", status, raw)
	}
	msgs, err := b.API.WaitBotMessages(601, 2, wait)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].Text != "mine" || !bytes.Equal(msgs[1].Photo, ownBytes) || msgs[1].Text != "my chart" {
		t.Fatalf("nobody's chat: %q, %q (%d bytes)", msgs[0].Text, msgs[1].Text, len(msgs[1].Photo))
	}
	// The refused requests queued nothing: the bot holds nothing, petr's
	// chat got nothing, and nobody's got exactly its two.
	eventually(t, "the bot has sent 2 messages and holds none", func() bool {
		h, err := b.Health()
		return err == nil && h.Queued == 0 && h.Sent == 2
	})
	if n := len(b.API.BotMessages(501)); n != 0 {
		t.Fatalf("petr got %d messages from nobody", n)
	}
	if n := len(b.API.BotMessages(601)); n != 2 {
		t.Fatalf("nobody got %d messages", n)
	}
	logs := b.Logs.String()
	if !strings.Contains(logs, "bot socket: forbidden") || !strings.Contains(logs, "photo refused, not the caller's file") {
		t.Fatalf("the refusals were not logged:\n%s", logs)
	}
}

// NOTIFY_BOT_TRUSTED_GROUP: its members may send to anyone, by the
// process's group (nobody in nogroup) or the user database's listing
// (testusers' member, listed in the trusted group), photos that are not theirs included.
func TestTrustedGroupMaySendToAnyone(t *testing.T) {
	for _, tc := range []struct {
		group string
		as    testusers.User
	}{{"nogroup", testusers.Nobody(t)}, {testusers.TrustedGroup, testusers.Member(t)}} {
		t.Run(tc.group, func(t *testing.T) {
			b := start(t, map[string]int64{"petr": 501}, "NOTIFY_BOT_TRUSTED_GROUP="+tc.group)
			b.OpenToEveryone(t)
			b.API.OpenChat(501)
			img, _ := photoOwnedBy(t, testusers.User{Name: "root"})
			if status, _, raw := curlAs(t, tc.as, b.Socket, "POST", "/send", `{"user":"petr","text":"from the portal"}`); status != 200 {
				t.Fatalf("%s in %s sending to petr: %d %s", tc.as.Name, tc.group, status, raw)
			}
			if status, _, raw := curlAs(t, tc.as, b.Socket, "POST", "/send_photo", `{"user":"petr","photo_path":"`+img+`"}`); status != 200 {
				t.Fatalf("%s in %s sending root's photo to petr: %d %s", tc.as.Name, tc.group, status, raw)
			}
			if _, err := b.API.WaitBotMessages(501, 2, wait); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Not in the group: still only itself, and the 403 names the group.
	b := start(t, map[string]int64{"petr": 501}, "NOTIFY_BOT_TRUSTED_GROUP="+testusers.TrustedGroup)
	b.OpenToEveryone(t)
	if status, code, raw := curlAs(t, testusers.Nobody(t), b.Socket, "POST", "/send", `{"user":"petr","text":"x"}`); status != 403 || code != "forbidden" ||
		!strings.Contains(raw, "needs root, the bot's own user or a member of group "+testusers.TrustedGroup) {
		t.Fatalf("nobody (not in the trusted group): %d %s", status, raw)
	}
}

// NOTIFY_BOT_SOCKET_GROUP gives the socket to the dispatchers' group;
// an unknown group in either variable stops the start, naming it.
func TestSocketGroupAndUnknownGroups(t *testing.T) {
	b := start(t, nil, "NOTIFY_BOT_SOCKET_GROUP=nogroup")
	fi, err := os.Stat(b.Socket)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Gid != 65534 || fi.Mode().Perm() != 0o770 {
		t.Fatalf("socket: group %d mode %v, want nogroup (65534) 0770", st.Gid, fi.Mode().Perm())
	}
	bin := notifybottest.Binary(t)
	dir := t.TempDir()
	for _, v := range []string{"NOTIFY_BOT_TRUSTED_GROUP", "NOTIFY_BOT_SOCKET_GROUP"} {
		out, code := runBot(t, bin, "TELEGRAM_BOT_TOKEN="+notifybottest.Token, "TELEGRAM_API_URL="+b.APIURL, "DATA_DIR="+dir,
			"NOTIFY_BOT_SOCKET="+filepath.Join(dir, "b.sock"), v+"=no-such-group-here")
		if code != 1 || !strings.Contains(out, v+`: group \"no-such-group-here\"`) {
			t.Errorf("%s unknown: exit %d, %s", v, code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "b.sock")); err == nil {
			t.Errorf("%s unknown: the socket was bound before the start failed", v)
		}
	}
}

// A FIFO or a symbolic link as photo_path is refused at once, for a
// trusted caller too: before, os.Open blocked on the FIFO for ever.
func TestPhotoPathFIFOAndLinkDoNotBlock(t *testing.T) {
	b := start(t, map[string]int64{"petr": 501})
	dir := t.TempDir()
	fifo := filepath.Join(dir, "chart.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.png")
	if err := os.Symlink(pngFile(t), link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, link} {
		done := make(chan struct{})
		var status int
		var body []byte
		go func() {
			defer close(done)
			status, body = postNoFatal(b.Socket, "/send_photo", `{"user":"petr","photo_path":"`+p+`"}`)
		}()
		select {
		case <-done:
		case <-time.After(wait):
			// Unblock the bot's open(2) so the test can end.
			if f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
			t.Fatalf("%s: no answer within %v: the bot blocked on it", p, wait)
		}
		if status != 400 || !strings.Contains(string(body), "bad_photo") || !strings.Contains(string(body), "not a regular file") {
			t.Errorf("%s: %d %s", p, status, body)
		}
	}
}

// postNoFatal is post for a goroutine: status 0 when there was no answer.
func postNoFatal(socket, path, body string) (int, []byte) {
	hc := &http.Client{Timeout: 2 * wait, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Post("http://bot"+path, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}
