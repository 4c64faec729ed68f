// Package webapp is the gin web portal of Analyst Alerts: sign-in (OIDC or a
// development form), the desktop authorization endpoints of the seed's
// contract, token refresh and unlink with revocation, the scripts API through
// the notify-scripts helper, chart images and the dashboard. The binary is
// ./webapp/cmd/webapp; docs/webapp.md describes it.
package webapp
