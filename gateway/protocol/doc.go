// Package protocol is the one definition of every contract that crosses a
// process boundary in the system: the WebSocket frames between the gateway and
// the desktop app, the desktop token (claims, issuing, checking), the
// dispatch-socket API with its client, the desktop HTTP API bodies of the
// webapp, and the sign-in deep link.
//
// The gateway owns the protocol, so it lives here; the gateway, the webapp,
// the notify tools and the desktop app import it and define none of it again.
// docs/protocol.md describes the same contract in prose.
package protocol
