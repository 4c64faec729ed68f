package protocol

// The budget of one notification inside a frame. The apps refuse a frame
// over MaxFrameBytes, so the notify tools (notify-runner, the webapp's Run)
// cut what a script hands over to these bounds before dispatching, and the
// bounds are derived so that a notification cut to them always fits in one
// frame together with the fields the gateway adds.
const (
	// MaxNotificationTitleRunes and MaxNotificationMessageRunes bound the
	// text, in characters (runes); longer text is cut, with a warning.
	MaxNotificationTitleRunes   = 200
	MaxNotificationMessageRunes = 3500

	// MaxJSONBytesPerRune is the most encoding/json writes for one rune of a
	// string: 6 for "\u003c" ('<', '>', '&', U+2028, U+2029, control
	// characters, and each byte of invalid UTF-8 as "\ufffd").
	MaxJSONBytesPerRune = 6

	// NotificationEnvelopeBytes is kept for everything but title, message and
	// data: the keys and punctuation, "type", "seq" (20 digits at most),
	// "epoch", "id" (a UUID), "timestamp", "script" (a script stem of at most
	// 128 bytes), "image_url" (the images path and a 132-byte name). About
	// 700 bytes in the worst case; the rest is room for a field to come.
	NotificationEnvelopeBytes = 4 << 10

	// MaxNotificationDataBytes bounds a notification's "data" object as
	// encoding/json writes it (compact, '<', '>' and '&' escaped): what is
	// left of a frame when the envelope and the longest title and message,
	// fully escaped, are taken out (39,240 bytes). A bigger object is
	// replaced by a small marker saying it was dropped.
	MaxNotificationDataBytes = MaxFrameBytes - NotificationEnvelopeBytes -
		MaxJSONBytesPerRune*(MaxNotificationTitleRunes+MaxNotificationMessageRunes)
)
