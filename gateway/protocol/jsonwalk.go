package protocol

// A walk over a JSON document already known valid (json.Valid): no
// checks, every index in range and every token where the grammar puts it.
// It finds the top-level members of a dispatch and of a notification
// without decoding them, and hands back their bytes as sent.

// members calls f with each top-level member of obj, a valid JSON object
// starting at obj[0], in order: its key (the bytes between the quotes,
// escapes as sent) and its value (its bytes as sent), until f returns
// false.
func members(obj []byte, f func(key, val []byte) bool) {
	i := skipSpace(obj, 1)
	for obj[i] != '}' {
		end := valueEnd(obj, i) // the key, a string
		key := obj[i+1 : end-1]
		i = skipSpace(obj, end) // the colon
		i = skipSpace(obj, i+1) // the value
		end = valueEnd(obj, i)
		if !f(key, obj[i:end]) {
			return
		}
		i = skipSpace(obj, end)
		if obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// valueEnd returns the index just past the value that starts at i in a
// valid JSON document.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	default: // a number, true, false or null
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
		}
		return i
	}
}

// stringEnd returns the index just past the string whose opening quote is
// at i in a valid JSON document.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++ // the escaped byte (a \u's digits are plain bytes)
		case '"':
			return i + 1
		}
	}
	return i
}
