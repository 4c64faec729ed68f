package server

import (
	"context"
	"testing"
	"time"
)

// The cache is what keeps a dispatch cheap: a miss reads /etc/passwd and
// /etc/group (or NSS), a hit is a map read.
func BenchmarkIdentify(b *testing.B) {
	a, err := newAccess("ssl-cert")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.WithValue(context.Background(), peerKey{}, peer{uid: 101, gid: 104, known: true})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if !a.identify(ctx).trusted {
				b.Fatal("postgres is in ssl-cert")
			}
		}
	})
	b.Run("lookup", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if !a.lookup(101).trusted {
				b.Fatal("postgres is in ssl-cert")
			}
		}
	})
}

// An entry expires after identityTTL: a user taken out of the trusted
// group loses its rights within it.
func TestIdentityCacheExpires(t *testing.T) {
	a, err := newAccess("ssl-cert")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	a.now = func() time.Time { return now }
	ctx := context.WithValue(context.Background(), peerKey{}, peer{uid: 101, gid: 104, known: true})
	if !a.identify(ctx).trusted {
		t.Fatal("postgres (in ssl-cert) not trusted")
	}
	// As if postgres had left the group: the cache still says trusted...
	a.trustedGID = "0"
	if !a.identify(ctx).trusted {
		t.Fatal("cache entry not used within its TTL")
	}
	// ...until it expires.
	now = now.Add(identityTTL)
	if a.identify(ctx).trusted {
		t.Fatal("cache entry used past its TTL")
	}
	// The process's own group (not cached) trusts a connection, not its uid.
	a.trustedGID, a.trustedGIDN = "104", 104
	if !a.identify(ctx).trusted {
		t.Fatal("a process running with the trusted group as its group is not trusted")
	}
	other := context.WithValue(context.Background(), peerKey{}, peer{uid: 101, gid: 5, known: true})
	if a.identify(other).trusted {
		t.Fatal("trust from one connection's group leaked to the uid's other connections")
	}
}
