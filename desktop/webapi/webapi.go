// Package webapi calls the webapp's desktop API (token refresh, scripts,
// chart images) with the app's Bearer token. Paths and bodies come from
// gateway/protocol. Every error is an *apperr.Error: AuthRefused when the
// server refuses the token, Server with the server's message otherwise,
// Network when it cannot be reached.
package webapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keboola/analyst-alerts/desktop/apperr"
	"github.com/keboola/analyst-alerts/gateway/protocol"
)

const (
	maxJSONBytes  = 1 << 20
	MaxImageBytes = 10 << 20
)

// Client is safe for concurrent use.
type Client struct {
	base string // the server URL, no trailing slash
	http *http.Client
}

// New returns a client for the server at base (see config.ServerURL). A nil
// hc gets a client with a 30 s timeout.
func New(base string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: strings.TrimRight(base, "/"), http: hc}
}

// Base is the server URL.
func (c *Client) Base() string { return c.base }

// CloseIdle closes the connections kept for the next request. The
// transport would close an idle one itself, 90 s later, on a timer: a
// wake-up of an otherwise idle app (issue 17).
func (c *Client) CloseIdle() { c.http.CloseIdleConnections() }

// Refresh trades token for a fresh one (accepted up to 7 days after expiry).
func (c *Client) Refresh(ctx context.Context, token string) (string, error) {
	var out protocol.RefreshResponse
	if err := c.do(ctx, http.MethodPost, protocol.PathDesktopRefresh, token, nil, &out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", apperr.New(apperr.Server, "The server sent no token", nil)
	}
	return out.Token, nil
}

// Scripts lists the user's notification scripts.
func (c *Client) Scripts(ctx context.Context, token string) ([]protocol.ScriptInfo, error) {
	var out []protocol.ScriptInfo
	if err := c.do(ctx, http.MethodGet, protocol.PathDesktopScripts, token, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// LatestVersion asks the portal for the latest app for platform (GOOS);
// it needs no token.
func (c *Client) LatestVersion(ctx context.Context, platform string) (protocol.DesktopVersion, error) {
	var out protocol.DesktopVersion
	q := url.Values{protocol.VersionPlatformParam: {platform}}
	err := c.do(ctx, http.MethodGet, protocol.PathDesktopVersion+"?"+q.Encode(), "", nil, &out)
	return out, err
}

// RunScript asks the server to run a script; its outcome arrives as a
// notification over the gateway.
func (c *Client) RunScript(ctx context.Context, token, name string) error {
	if name == "" || len(name) > 255 || strings.ContainsAny(name, "/\\\x00") {
		return apperr.New(apperr.BadInput, "Not a script name", nil)
	}
	var out protocol.OKResponse
	if err := c.do(ctx, http.MethodPost, protocol.PathDesktopRunScript, token, protocol.RunScriptRequest{Name: name}, &out); err != nil {
		return err
	}
	if !out.OK {
		return apperr.New(apperr.Server, "The server did not run the script", nil)
	}
	return nil
}

// ImageURL resolves a notification's image_url against the server and
// refuses anything that is not one of the server's chart images: the Bearer
// token must never go to another origin or path.
func (c *Client) ImageURL(imageURL string) (string, error) {
	u, _, err := c.imageURL(imageURL)
	return u, err
}

// imageURL is ImageURL with the chart's name, which says the content type
// the chart must have (protocol.ImageContentType).
func (c *Client) imageURL(imageURL string) (string, string, error) {
	base, err := url.Parse(c.base)
	if err != nil || c.base == "" {
		return "", "", apperr.New(apperr.BadInput, "No server address", err)
	}
	ref, err := url.Parse(imageURL)
	if err != nil || imageURL == "" {
		return "", "", apperr.New(apperr.BadInput, "Not an image address", err)
	}
	u := base.ResolveReference(ref)
	if u.Scheme != base.Scheme || u.Host != base.Host || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", "", apperr.New(apperr.BadInput, "The image is not on the server", nil)
	}
	name, ok := strings.CutPrefix(u.EscapedPath(), strings.TrimRight(base.EscapedPath(), "/")+protocol.PathImagesPrefix)
	if !ok || !protocol.ValidImageName(name) {
		return "", "", apperr.New(apperr.BadInput, "The image is not one of the server's charts", nil)
	}
	return u.String(), name, nil
}

// Image fetches a chart image; only the type its name says (the image
// contract: a .png is PNG, a .jpg JPEG) is accepted.
func (c *Client) Image(ctx context.Context, token, imageURL string) ([]byte, string, error) {
	u, name, err := c.imageURL(imageURL)
	if err != nil {
		return nil, "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", apperr.New(apperr.Internal, "Bad request", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", apperr.New(apperr.Network, "Cannot reach the server", err)
	}
	defer resp.Body.Close()
	if err := statusError(resp); err != nil {
		return nil, "", err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxImageBytes+1))
	if err != nil {
		return nil, "", apperr.New(apperr.Network, "The image download broke off", err)
	}
	if len(data) > MaxImageBytes {
		return nil, "", apperr.New(apperr.Server, "The image is too large", nil)
	}
	want, _ := protocol.ImageContentType(name)
	if ct := http.DetectContentType(data); ct != want {
		return nil, "", apperr.New(apperr.Server, fmt.Sprintf("The server sent %s for a chart that must be %s", ct, want), nil)
	}
	return data, want, nil
}

func (c *Client) do(ctx context.Context, method, path, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apperr.New(apperr.Internal, "Cannot encode the request", err)
		}
		rd = bytes.NewReader(b)
	}
	if c.base == "" {
		return apperr.New(apperr.BadInput, "No server address is set", nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return apperr.New(apperr.BadInput, "Bad server address", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return apperr.New(apperr.Network, "Cannot reach the server", err)
	}
	defer resp.Body.Close()
	if err := statusError(resp); err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBytes))
	if err != nil {
		return apperr.New(apperr.Network, "The answer broke off", err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return apperr.New(apperr.Server, "The server's answer is not what the app expects", err)
	}
	return nil
}

// statusError turns a non-2xx answer into an error carrying the server's
// {"error": "...", "code": "..."} message when there is one. Whether the
// token is refused (AuthRefused, which leads to a refresh and, refused
// again, to sign-out in auth.Session.Refresh) is decided here only, from
// the answer's code (protocol.TokenRefused): a 403 is "not allowed" for this
// action (e.g. a script the user may not run) and signs no one out.
func statusError(resp *http.Response) error {
	if resp.StatusCode/100 == 2 {
		return nil
	}
	// The code beside protocol.ErrorResponse's message; once ErrorResponse
	// carries Code itself, this field is the same one.
	var e struct {
		protocol.ErrorResponse
		Code string `json:"code"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &e) != nil || e.Error == "" {
		e.Error = http.StatusText(resp.StatusCode)
	}
	cause := fmt.Errorf("HTTP %d %s", resp.StatusCode, e.Code)
	if protocol.TokenRefused(resp.StatusCode, e.Code) {
		return apperr.New(apperr.AuthRefused, "The server refused the sign-in: "+e.Error, cause)
	}
	if resp.StatusCode == http.StatusNotFound {
		return apperr.New(apperr.NotFound, e.Error, cause)
	}
	return apperr.New(apperr.Server, e.Error, cause)
}
