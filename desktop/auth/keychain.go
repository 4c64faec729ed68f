package auth

import (
	"errors"

	"github.com/zalando/go-keyring"
)

// ErrNoToken means the keychain holds no token: the user is signed out.
var ErrNoToken = errors.New("no token in the keychain")

// Keychain keeps the one token of the app.
type Keychain interface {
	Get() (string, error) // ErrNoToken when there is none
	Set(token string) error
	Delete() error // no error when there is none
}

// OSKeychain is the operating system's keychain through go-keyring: macOS
// Keychain, Windows Credential Manager, the Secret Service on Linux. It was
// chosen because it covers the three without cgo and is widely used.
type OSKeychain struct {
	Service string // e.g. com.keboola.analyst
	Account string // the entry's user name
}

// DefaultAccount names the keychain entry.
const DefaultAccount = "desktop-token"

func (k OSKeychain) Get() (string, error) {
	s, err := keyring.Get(k.Service, k.account())
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoToken
	}
	return s, err
}

func (k OSKeychain) Set(token string) error { return keyring.Set(k.Service, k.account(), token) }

func (k OSKeychain) Delete() error {
	if err := keyring.Delete(k.Service, k.account()); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	return nil
}

func (k OSKeychain) account() string {
	if k.Account == "" {
		return DefaultAccount
	}
	return k.Account
}
