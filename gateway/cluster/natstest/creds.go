package natstest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// Operator puts o in decentralised-auth (operator JWT) mode, the one a
// .creds file is for: it trusts a new operator whose one account has
// JetStream, and returns the path of a .creds file (user JWT + nkey seed)
// for a user of that account, written in dir. The seeds stay in memory.
func Operator(t testing.TB, o *server.Options, dir string) (creds string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	okp, err := nkeys.CreateOperator()
	must(err)
	opub, _ := okp.PublicKey()
	// JetStream needs a system account.
	skp, _ := nkeys.CreateAccount()
	spub, _ := skp.PublicKey()
	sc := jwt.NewAccountClaims(spub)
	sc.Name = "SYS"
	sjwt, err := sc.Encode(okp)
	must(err)
	oc := jwt.NewOperatorClaims(opub)
	oc.Name = "alerts-test"
	oc.SystemAccount = spub
	ojwt, err := oc.Encode(okp)
	must(err)
	oc, err = jwt.DecodeOperatorClaims(ojwt)
	must(err)

	akp, _ := nkeys.CreateAccount()
	apub, _ := akp.PublicKey()
	ac := jwt.NewAccountClaims(apub)
	ac.Name = "gateways"
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	ajwt, err := ac.Encode(okp)
	must(err)

	ukp, _ := nkeys.CreateUser()
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.Name = "ws-gateway"
	ujwt, err := uc.Encode(akp)
	must(err)
	seed, _ := ukp.Seed()
	file, err := jwt.FormatUserConfig(ujwt, seed)
	must(err)

	resolver := &server.MemAccResolver{}
	must(resolver.Store(apub, ajwt))
	must(resolver.Store(spub, sjwt))
	o.SystemAccount = spub
	o.TrustedOperators = []*jwt.OperatorClaims{oc}
	o.AccountResolver = resolver
	creds = filepath.Join(dir, "ws-gateway.creds")
	must(os.WriteFile(creds, file, 0o600))
	return creds
}
