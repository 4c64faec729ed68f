package shell

import "strings"

// An alert's title and message are untrusted text. Each platform's
// notification service is given them in a form it shows as text:
//
//   - Linux (freedesktop): the body may hold markup (<b>, <i>, <u>, <a>,
//     <img>) when the server advertises "body-markup", as GNOME's and KDE's
//     do, so the body is escaped for such a server; the summary is plain
//     text by the spec.
//   - Windows: Wails hands them to go-toast v2 (kept: see docs/desktop.md),
//     which puts them inside CDATA
//     in the toast's XML with text/template (no escaping), and, when the
//     WinRT call fails, pastes that XML into a PowerShell double-quoted
//     here-string, where $(...) runs code and "@ ends the string. So "]]>",
//     "$", "`" and '"' are replaced by look-alikes there.
//   - macOS (UNUserNotificationCenter) shows plain text: nothing to do.
//
// The popover always shows the original text.

var markupEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeMarkup makes text show as itself on a server that reads markup.
func escapeMarkup(s string) string { return markupEscaper.Replace(s) }

var toastDefanger = strings.NewReplacer(
	"]]>", "]] >", // would close go-toast's CDATA section
	"$", "\uFF04", // FULLWIDTH DOLLAR SIGN: $(...) and $var expand in the PowerShell fallback
	"`", "\u02CB", // MODIFIER LETTER GRAVE ACCENT: PowerShell's escape character
	"\"", "\u201D", // RIGHT DOUBLE QUOTATION MARK: "@ ends the here-string
)

// defangToast makes text safe for go-toast's XML and PowerShell templates.
func defangToast(s string) string { return toastDefanger.Replace(s) }

// windowsText is what Windows' toast gets; it lives here, not in the
// _windows.go file, so Linux's tests check it against go-toast's templates.
func windowsText(title, body string) (string, string) {
	return defangToast(title), defangToast(body)
}
