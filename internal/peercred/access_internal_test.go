package peercred

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keboola/analyst-alerts/internal/testusers"
)

// These use testusers' member, listed in testusers.TrustedGroup in the
// group database (its primary group is its own). The behaviour with real
// processes is tested by the servers (gateway/server, webapp/cmd/notify-bot).

// The cache is what keeps a request cheap: a miss reads /etc/passwd and
// /etc/group (or NSS), a hit is a map read.
func BenchmarkIdentify(b *testing.B) {
	a, err := NewAccess(testusers.TrustedGroup, "the test's user")
	if err != nil {
		b.Fatal(err)
	}
	m := testusers.Member(b)
	ctx := WithPeer(context.Background(), Peer{UID: m.UID, GID: m.GID, Known: true})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if !a.Identify(ctx).Trusted {
				b.Fatal("the member is in the trusted group")
			}
		}
	})
	b.Run("lookup", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if !a.lookup(m.UID).Trusted {
				b.Fatal("the member is in the trusted group")
			}
		}
	})
}

// An entry expires after TTL: a user taken out of the trusted group loses
// its rights within it.
func TestIdentityCacheExpires(t *testing.T) {
	a, err := NewAccess(testusers.TrustedGroup, "the test's user")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	a.now = func() time.Time { return now }
	m := testusers.Member(t)
	ctx := WithPeer(context.Background(), Peer{UID: m.UID, GID: m.GID, Known: true})
	if !a.Identify(ctx).Trusted {
		t.Fatal("the member (listed in the trusted group) not trusted")
	}
	// As if the member had left the group: the cache still says trusted...
	a.trustedGID = "0"
	if !a.Identify(ctx).Trusted {
		t.Fatal("cache entry not used within its TTL")
	}
	// ...until it expires.
	now = now.Add(TTL)
	if a.Identify(ctx).Trusted {
		t.Fatal("cache entry used past its TTL")
	}
	// The process's own group (not cached) trusts a connection, not its uid.
	a.trustedGID, a.trustedGIDN = strconv.Itoa(int(m.GID)), m.GID
	if !a.Identify(ctx).Trusted {
		t.Fatal("a process running with the trusted group as its group is not trusted")
	}
	other := WithPeer(context.Background(), Peer{UID: m.UID, GID: 5, Known: true})
	if a.Identify(other).Trusted {
		t.Fatal("trust from one connection's group leaked to the uid's other connections")
	}
}

func TestIdentifyRules(t *testing.T) {
	a, err := NewAccess("", "the test's user")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		trusted bool
		str     string
		actsFor string // a user it may act for ("" none)
	}{
		{"no credentials", context.Background(), false, "an unidentified caller", ""},
		{"root", WithPeer(context.Background(), Peer{UID: 0, Known: true}), true, "uid 0 (root)", "petr"},
		{"nobody", WithPeer(context.Background(), Peer{UID: 65534, GID: 65534, Known: true}), false, "uid 65534 (nobody)", "nobody"},
		{"a uid with no name", WithPeer(context.Background(), Peer{UID: 4000123, Known: true}), false, "uid 4000123", ""},
		{"no peer credentials on this OS", WithPeer(context.Background(), Peer{}), true, "an unidentified caller", "petr"},
	} {
		id := a.Identify(tc.ctx)
		if id.Trusted != tc.trusted || id.String() != tc.str {
			t.Errorf("%s: %+v %q", tc.name, id, id)
		}
		if !id.Trusted && id.MayActFor("") {
			t.Errorf("%s may act for the empty user", tc.name)
		}
		if tc.actsFor != "" && !id.MayActFor(tc.actsFor) {
			t.Errorf("%s may not act for %s", tc.name, tc.actsFor)
		}
		if !id.Trusted && id.MayActFor("petr") {
			t.Errorf("%s may act for petr", tc.name)
		}
	}
	if got := a.WhoIsTrusted(); got != "root or the test's user" {
		t.Errorf("WhoIsTrusted: %q", got)
	}
	if _, err := NewAccess("no-such-group-here", "x"); err == nil || !strings.Contains(err.Error(), `"no-such-group-here"`) {
		t.Errorf("unknown group: %v", err)
	}
}
