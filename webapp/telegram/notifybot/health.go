package notifybot

import (
	"fmt"
	"strings"

	"github.com/keboola/analyst-alerts/gateway/protocol"
	"github.com/keboola/analyst-alerts/webapp/botclient"
)

// healthMarks are the marks /scripts shows a script's health with
// (docs/health.md), so a failing script stands out in a chat too.
var healthMarks = map[string]string{
	protocol.MarkOK: "🟢", protocol.MarkWait: "🟡", protocol.MarkBad: "🔴", protocol.MarkOff: "•",
}

// maxErrorUnits bounds the last error quoted in /scripts (UTF-16 units
// after escaping), so a long list stays within one message.
const maxErrorUnits = 200

// scriptHealth is the mark of a script and, for one that failed, what to
// add after its last run: the state in words and its last error (the
// script's text: escaped and cut).
func scriptHealth(h *protocol.ScriptHealth) (mark, tail string) {
	mark = healthMarks[h.Mark()]
	if h == nil || h.FailStreak == 0 && !h.Overdue {
		return mark, ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, ", <b>%s</b>", strings.ToLower(h.Label()))
	if h.FailStreak > 0 {
		fmt.Fprintf(&b, " (%d without a good run)", h.FailStreak)
	}
	if h.LastError != "" {
		b.WriteString("\n    <i>" + botclient.EscapeHTML(h.LastError, maxErrorUnits) + "</i>")
	}
	return mark, b.String()
}
