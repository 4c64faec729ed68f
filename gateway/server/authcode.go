package server

import (
	"github.com/keboola/analyst-alerts/gateway/metrics"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

// authCode is the code an auth_error carries for a refusal (its metrics
// label): whether the token itself was refused, which the app answers with
// a refresh (protocol.AuthError.TokenRefused), or the connection, which it
// only retries later.
func authCode(result string) string {
	switch result {
	case metrics.AuthInvalid, metrics.AuthExpired:
		return protocol.CodeUnauthorized
	case metrics.AuthRevoked:
		return protocol.CodeTokenRevoked
	case metrics.AuthBadFrame, metrics.AuthTimeout:
		return protocol.CodeBadRequest
	case metrics.AuthTooManyConns:
		return protocol.CodeUnavailable // for this user, now: try again later
	}
	return protocol.CodeInternal
}
