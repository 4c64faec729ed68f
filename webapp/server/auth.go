package server

import (
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/apperr"
	"github.com/keboola/analyst-alerts/webapp/config"
	"github.com/keboola/analyst-alerts/webapp/links"
	"github.com/keboola/analyst-alerts/webapp/session"
	"github.com/keboola/analyst-alerts/webapp/signin"
)

const ctxUser = "user"

// page wraps a browser page: no session sends the browser to sign in and
// back here afterwards.
func (s *Server) page(h func(*gin.Context, session.Session) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, err := s.Sessions.Read(c.Request)
		if err != nil {
			c.Redirect(http.StatusFound, "/auth/login?"+url.Values{"next": {c.Request.URL.RequestURI()}}.Encode())
			return
		}
		if err := h(c, sess); err != nil {
			s.fail(c, err)
		}
	}
}

// api wraps a JSON endpoint that needs a signed-in browser: 401 otherwise.
func (s *Server) api(h func(*gin.Context, session.Session) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, err := s.Sessions.Read(c.Request)
		if err != nil {
			s.fail(c, apperr.Unauthorized("sign in first"))
			return
		}
		if err := h(c, sess); err != nil {
			s.fail(c, err)
		}
	}
}

// bearer wraps a desktop app endpoint: a valid, unrevoked token is
// required, and any such call marks the user linked (as the seed does).
func (s *Server) bearer(h func(*gin.Context, string) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		user, err := s.checkBearer(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		if err := h(c, user); err != nil {
			s.fail(c, err)
		}
	}
}

// checkBearer verifies the Authorization header's token, refuses revoked
// tokens, and marks the user linked (one step with the revocation check, so
// an unlink cannot fall between them).
func (s *Server) checkBearer(c *gin.Context) (string, error) {
	claims, err := s.verifyBearer(c, false)
	if err != nil {
		return "", err
	}
	user := claims.Username()
	if err := s.Links.Admit(user, revokedBy(claims), s.Now()); err != nil {
		if errors.Is(err, links.ErrRevoked) {
			return "", errTokenRevoked()
		}
		return "", err
	}
	c.Set(ctxUser, user)
	return user, nil
}

// verifyBearer checks the Authorization header's token (signature, issuer,
// expiry, with the refresh grace when forRefresh) and its subject; the
// revocation cutoff is checked by the caller, under the links store's lock.
func (s *Server) verifyBearer(c *gin.Context, forRefresh bool) (protocol.Claims, error) {
	tok, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		return protocol.Claims{}, apperr.Unauthorized("missing Authorization: Bearer <token> header")
	}
	verify := protocol.VerifyToken
	if forRefresh {
		verify = protocol.VerifyForRefresh
	}
	claims, err := verify(s.Config.Secret, s.Config.Issuer, tok, s.Now())
	if err != nil {
		return protocol.Claims{}, apperr.Unauthorized("invalid token: %s", protocol.TokenRefusal(err)).Wrap(err)
	}
	if !signin.ValidUsername(claims.Username()) {
		return protocol.Claims{}, apperr.Unauthorized("invalid token: bad subject")
	}
	return claims, nil
}

// revokedBy is the revocation rule for a token's claims.
func revokedBy(claims protocol.Claims) links.Revoked {
	return func(cutoff int64) bool { return protocol.RevokedBefore(claims, cutoff) }
}

func errTokenRevoked() error {
	return apperr.New(protocol.CodeTokenRevoked, http.StatusUnauthorized,
		"this token was revoked when the desktop app was unlinked; authorize the app again")
}

func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || len(tok) > protocol.MaxTokenBytes {
		return "", false
	}
	return tok, true
}

func (s *Server) login(c *gin.Context) {
	next := safeNext(c.Query("next"))
	if s.Config.AuthMode == config.AuthDev {
		c.Redirect(http.StatusFound, "/auth/dev?"+url.Values{"next": {next}}.Encode())
		return
	}
	authURL, state, nonce, verifier, err := s.OIDC.Start(c.Request.Context())
	if err != nil {
		s.fail(c, apperr.New(protocol.CodeUnavailable, http.StatusServiceUnavailable,
			"the sign-in provider cannot be reached; try again in a moment").Wrap(err))
		return
	}
	if err := s.Sessions.WriteFlow(c.Writer, session.Flow{State: state, Nonce: nonce, Verifier: verifier, Next: next}); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusFound, authURL)
}

func (s *Server) callback(c *gin.Context) {
	if s.OIDC == nil {
		s.fail(c, apperr.NotFound("single sign-on is not enabled (AUTH_MODE=dev)"))
		return
	}
	flow, err := s.Sessions.TakeFlow(c.Writer, c.Request)
	if err != nil {
		s.fail(c, apperr.BadRequest("%v; start again from the sign-in link", err))
		return
	}
	if e := c.Query("error"); e != "" {
		s.fail(c, apperr.New(protocol.CodeSignInRefused, http.StatusForbidden,
			"the sign-in provider refused: %s %s", e, c.Query("error_description")))
		return
	}
	state := c.Query("state")
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(flow.State)) != 1 {
		s.fail(c, apperr.BadRequest("sign-in state does not match this browser's sign-in; start again"))
		return
	}
	email, err := s.OIDC.Finish(c.Request.Context(), c.Query("code"), flow.Nonce, flow.Verifier)
	if err != nil {
		status := http.StatusBadGateway
		if errors.Is(err, signin.ErrEmailUnverified) {
			status = http.StatusForbidden
		}
		s.fail(c, apperr.New(protocol.CodeSignInRefused, status, "sign-in failed: %v", err).Wrap(err))
		return
	}
	s.startSession(c, email, flow.Next)
}

func (s *Server) startSession(c *gin.Context, email, next string) {
	user, err := s.Rules.Username(email)
	if err != nil {
		s.Log.Info("sign-in refused", slog.String("email", email), slog.Any("error", err))
		s.fail(c, apperr.New(protocol.CodeSignInRefused, http.StatusForbidden, "%v", err))
		return
	}
	if err := s.Sessions.Write(c.Writer, user, strings.ToLower(email)); err != nil {
		s.fail(c, err)
		return
	}
	s.Log.Info("signed in", slog.String("user", user), slog.String("mode", s.Config.AuthMode))
	c.Redirect(http.StatusSeeOther, safeNext(next))
}

func (s *Server) logout(c *gin.Context) {
	s.Sessions.Clear(c.Writer)
	c.Redirect(http.StatusSeeOther, "/auth/login")
}

func (s *Server) devPage(c *gin.Context) {
	s.renderPage(c, http.StatusOK, "dev_login.html", pageData{Title: "Development sign-in", Next: safeNext(c.Query("next")),
		DevEmail: s.Config.DevEmail()})
}

// devLogin signs in as whoever the form names: AUTH_MODE=dev only, on a
// loopback address unless forced (config refuses otherwise).
func (s *Server) devLogin(c *gin.Context) {
	email := strings.TrimSpace(c.PostForm("email"))
	if email == "" {
		s.fail(c, apperr.BadRequest("enter an email address"))
		return
	}
	s.startSession(c, email, c.PostForm("next"))
}
