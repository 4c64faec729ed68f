package notifyimage

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkPublishChart checks and copies a 640x300 chart, the size the
// example script draws.
func BenchmarkPublishChart(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 640, 300))
	for x := 0; x < 640; x++ {
		img.Set(x, 150+x%100, color.RGBA{31, 111, 235, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		b.Fatal(err)
	}
	src := filepath.Join(b.TempDir(), "chart.png")
	if err := os.WriteFile(src, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		p, err := Publish(src, dir, 0)
		if err != nil {
			b.Fatal(err)
		}
		_ = os.Remove(p.Path)
	}
}
