package protocol

import (
	"path"
	"regexp"
	"strings"
)

// The chart image contract, one definition for every part: the notify
// tools publish a chart under a name the webapp serves at
// PathImagesPrefix+name with the content type its extension says, and the
// desktop app fetches only such names and accepts only that type.

// ImageTypes maps each chart extension to its content type: PNG and JPEG,
// what the notify tools accept from a script (and check by decoding).
var ImageTypes = map[string]string{
	".png": "image/png",
	".jpg": "image/jpeg",
}

// imageNameRE is a served chart's name: what the notify tools publish (32
// hex digits and the extension) and the seed's other <name>.png, never a
// path, a dot file or anything to escape.
var imageNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}\.(png|jpg)$`)

// ValidImageName reports whether name may name a served chart.
func ValidImageName(name string) bool { return imageNameRE.MatchString(name) }

// ImageContentType is the content type a chart called name is served and
// accepted as; ok is false for a name that is no chart's.
func ImageContentType(name string) (contentType string, ok bool) {
	if !ValidImageName(name) {
		return "", false
	}
	ct, ok := ImageTypes[path.Ext(name)]
	return ct, ok
}

// ImageExt is the extension a chart of contentType is published under
// (".png", ".jpg"); "" for a type that is no chart's.
func ImageExt(contentType string) string {
	ct := strings.ToLower(strings.TrimSpace(contentType))
	for ext, t := range ImageTypes {
		if t == ct {
			return ext
		}
	}
	return ""
}
