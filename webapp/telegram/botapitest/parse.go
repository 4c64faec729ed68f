package botapitest

import (
	"fmt"
	"regexp"
	"strings"
)

// parse checks text the way Telegram parses its parse mode and returns the
// plain text (for the length limit). Legacy Markdown: *bold*, _italic_,
// `code`, ```pre```, [text](url), with unclosed entities refused. HTML: the
// tags Telegram allows, balanced, and only &lt; &gt; &amp; &quot; and
// numeric entities.
func parse(text, mode string) (string, error) {
	switch mode {
	case "":
		return text, nil
	case "Markdown":
		return parseMarkdown(text)
	case "MarkdownV2":
		return text, nil // not used by notify-bot; taken as is
	case "HTML":
		return parseHTML(text)
	default:
		return "", fmt.Errorf("unsupported parse_mode %q", mode)
	}
}

func parseMarkdown(text string) (string, error) {
	var out strings.Builder
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch ch {
		case '*', '_', '`':
			delim := string(ch)
			if strings.HasPrefix(text[i:], "```") {
				delim = "```"
			}
			end := strings.Index(text[i+len(delim):], delim)
			if end < 0 {
				return "", fmt.Errorf("can't find end of the entity starting at byte offset %d", i)
			}
			out.WriteString(text[i+len(delim) : i+len(delim)+end])
			i += len(delim) + end + len(delim) - 1
		case '[':
			close := strings.Index(text[i:], "](")
			endURL := -1
			if close >= 0 {
				endURL = strings.IndexByte(text[i+close:], ')')
			}
			if close < 0 || endURL < 0 {
				out.WriteByte(ch) // a lone '[' is text in legacy Markdown
				continue
			}
			out.WriteString(text[i+1 : i+close])
			i += close + endURL
		default:
			out.WriteByte(ch)
		}
	}
	return out.String(), nil
}

var (
	htmlTag    = regexp.MustCompile(`^<(/?)([a-zA-Z-]+)(\s[^<>]*)?>`)
	htmlEntity = regexp.MustCompile(`^&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});`)
	htmlTags   = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
		"s": true, "strike": true, "del": true, "a": true, "code": true, "pre": true, "tg-spoiler": true,
		"span": true, "blockquote": true}
)

func parseHTML(text string) (string, error) {
	var (
		out   strings.Builder
		stack []string
	)
	for i := 0; i < len(text); {
		switch text[i] {
		case '<':
			m := htmlTag.FindStringSubmatch(text[i:])
			if m == nil || !htmlTags[strings.ToLower(m[2])] {
				return "", fmt.Errorf("unsupported start tag at byte offset %d", i)
			}
			name := strings.ToLower(m[2])
			if m[1] == "/" {
				if len(stack) == 0 || stack[len(stack)-1] != name {
					return "", fmt.Errorf("unmatched end tag at byte offset %d, expected \"</%s>\"", i, name)
				}
				stack = stack[:len(stack)-1]
			} else {
				stack = append(stack, name)
			}
			i += len(m[0])
		case '>':
			out.WriteByte('>')
			i++
		case '&':
			m := htmlEntity.FindString(text[i:])
			if m == "" {
				out.WriteByte('&') // Telegram takes a bare & that starts no entity
				i++
				continue
			}
			out.WriteByte('x')
			i += len(m)
		default:
			out.WriteByte(text[i])
			i++
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1])
	}
	return out.String(), nil
}
