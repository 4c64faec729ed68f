package protocol

import "testing"

// One image contract: the name a chart is published under says the type it
// is served and accepted as, and nothing else is a chart's name.
func TestImageContract(t *testing.T) {
	for name, want := range map[string]string{
		"0123456789abcdef0123456789abcdef.png": "image/png",
		"0123456789abcdef0123456789abcdef.jpg": "image/jpeg",
		"revenue_chart-1.png":                  "image/png",
	} {
		if ct, ok := ImageContentType(name); !ok || ct != want {
			t.Errorf("%s: %q %v, want %s", name, ct, ok, want)
		}
		if ext := ImageExt(want); ext == "" || name[len(name)-len(ext):] != ext {
			t.Errorf("%s: extension for %s is %q", name, want, ext)
		}
	}
	for _, bad := range []string{"", ".png", "a.PNG", "a.jpeg", "a.gif", "a.svg", "../a.png", "a/b.png", "a.png.html",
		"a b.png", "a%2f.png", ".incoming-123", string(make([]byte, 129)) + ".png"} {
		if ct, ok := ImageContentType(bad); ok || ValidImageName(bad) {
			t.Errorf("%q accepted as %s", bad, ct)
		}
	}
	if ImageExt("image/gif") != "" || ImageExt("text/html") != "" || ImageExt(" IMAGE/JPEG ") != ".jpg" {
		t.Error("ImageExt")
	}
}
