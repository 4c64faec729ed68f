// Package testusers gives the tests that run a caller as another Unix user
// (the peer-credential rules of the gateway's and the bot's sockets) the
// users they need on any Linux machine: the system's nobody, and a member of
// a trusted group that this package creates on first use. Tests never
// depend on what some other package installed (a database server's user,
// say). Creating users needs root, as those tests do already.
package testusers

import (
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The names this package creates: a system user with no home and no shell,
// whose primary group is its own, listed as a member of TrustedGroup.
const (
	MemberName   = "analyst-alerts-member"
	TrustedGroup = "analyst-alerts-trusted"
)

// User is a Unix user to run a process as.
type User struct {
	Name     string
	UID, GID uint32
}

// Nobody is the system's unprivileged user, in no trusted group.
func Nobody(t testing.TB) User {
	t.Helper()
	return lookup(t, "nobody")
}

// Member is a user whose primary group is its own and who is listed in
// TrustedGroup in the group database (so only a lookup of its groups, not
// its process's gid, says it is trusted). Created on first use.
func Member(t testing.TB) User {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test runs callers as other users: it needs root (as make test runs it)")
	}
	// Each step is idempotent and tolerates a parallel test binary doing the
	// same: the lookups at the end are what count.
	run(t, "groupadd", "-f", "--system", TrustedGroup)
	if _, err := user.Lookup(MemberName); err != nil {
		run(t, "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", MemberName)
	}
	u := lookup(t, MemberName)
	uu, err := user.LookupId(strconv.Itoa(int(u.UID)))
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroup(TrustedGroup)
	if err != nil {
		t.Fatalf("group %s was not created: %v", TrustedGroup, err)
	}
	if ids, _ := uu.GroupIds(); !slices.Contains(ids, g.Gid) {
		run(t, "usermod", "-aG", TrustedGroup, MemberName)
		if ids, _ := uu.GroupIds(); !slices.Contains(ids, g.Gid) {
			t.Fatalf("%s is not listed in %s after usermod", MemberName, TrustedGroup)
		}
	}
	return u
}

func lookup(t testing.TB, name string) User {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("user %s: %v", name, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return User{Name: name, UID: uint32(uid), GID: uint32(gid)}
}

// run runs an administration command; a failure is reported only through
// the lookups that follow (another test binary may have won the race).
func run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil && !strings.Contains(string(out), "already exists") {
		t.Logf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}
