//go:build ignore

// gen-icons draws the app's icons (a bell; the badged one with a red dot)
// so they can be regenerated without an image editor:
//
//	go run build/gen-icons.go
package main

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

var (
	blue  = color.NRGBA{0x1f, 0x6f, 0xeb, 0xff}
	white = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	red   = color.NRGBA{0xe5, 0x34, 0x4b, 0xff}
	black = color.NRGBA{0, 0, 0, 0xff}
)

// bell reports whether (x, y) in a unit square is inside the bell.
func bell(x, y float64) bool {
	cx := 0.5
	// handle
	if math.Hypot(x-cx, y-0.16) < 0.06 {
		return true
	}
	// dome and body: half-width grows from 0.22 at the top to 0.36 at the rim
	if y >= 0.2 && y <= 0.72 {
		top := 0.2
		w := 0.22 + (y-top)/(0.72-top)*0.14
		if y < 0.36 { // round the top
			dy := (0.36 - y) / 0.16
			w *= math.Sqrt(math.Max(0, 1-dy*dy))
		}
		return math.Abs(x-cx) <= w
	}
	// rim
	if y > 0.72 && y <= 0.78 {
		return math.Abs(x-cx) <= 0.42
	}
	// clapper
	return math.Hypot(x-cx, y-0.84) < 0.07
}

func draw(size int, bg, fg color.NRGBA, badge bool, rounded bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4 // supersampling for smooth edges
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(size)
					c := color.NRGBA{}
					if rounded && inRounded(x, y) {
						c = bg
					}
					bx, by := x, y
					if rounded { // bell smaller inside the tile
						bx, by = (x-0.5)/0.7+0.5, (y-0.5)/0.7+0.5
					}
					if bell(bx, by) {
						c = fg
					}
					if badge {
						d := math.Hypot(x-0.78, y-0.22)
						if d < 0.22 {
							c = white
						}
						if d < 0.18 {
							c = red
						}
					}
					fa := float64(c.A) / 255
					r += float64(c.R) * fa
					g += float64(c.G) * fa
					b += float64(c.B) * fa
					a += fa
				}
			}
			n := float64(ss * ss)
			if a > 0 {
				img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(a / n * 255)})
			}
		}
	}
	return img
}

func inRounded(x, y float64) bool {
	const m, rad = 0.06, 0.2
	if x < m || y < m || x > 1-m || y > 1-m {
		return false
	}
	cx := math.Max(m+rad, math.Min(x, 1-m-rad))
	cy := math.Max(m+rad, math.Min(y, 1-m-rad))
	return math.Hypot(x-cx, y-cy) <= rad
}

func pngBytes(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// ico wraps PNG images in an ICO container (Vista+ reads PNG entries).
func ico(pngs ...[]byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, [3]uint16{0, 1, uint16(len(pngs))})
	off := 6 + 16*len(pngs)
	for _, p := range pngs {
		cfg, _ := png.DecodeConfig(bytes.NewReader(p))
		w, h := byte(cfg.Width), byte(cfg.Height) // 256 is written as 0
		b.Write([]byte{w, h, 0, 0})
		binary.Write(&b, binary.LittleEndian, [2]uint16{1, 32})
		binary.Write(&b, binary.LittleEndian, [2]uint32{uint32(len(p)), uint32(off)})
		off += len(p)
	}
	for _, p := range pngs {
		b.Write(p)
	}
	return b.Bytes()
}

func write(path string, data []byte) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		panic(err)
	}
}

func main() {
	clear := color.NRGBA{}
	app := pngBytes(draw(1024, blue, white, false, true))
	write("build/appicon.png", app)
	write("build/linux/analyst-alerts.png", pngBytes(draw(256, blue, white, false, true)))
	write("build/windows/icon.ico", ico(pngBytes(draw(256, blue, white, false, true)), pngBytes(draw(32, blue, white, false, true))))
	// The webapp's favicon: the app's icon, so the tab and the app match.
	write("webapp/server/static/favicon.ico", ico(pngBytes(draw(32, blue, white, false, true)), pngBytes(draw(16, blue, white, false, true))))
	write("webapp/server/static/favicon.png", pngBytes(draw(180, blue, white, false, true)))
	// Tray: a blue bell on any panel colour; macOS gets black template images
	// the menu bar tints itself.
	for _, v := range []struct {
		name  string
		badge bool
	}{{"bell", false}, {"bell-badged", true}} {
		p := pngBytes(draw(64, clear, blue, v.badge, false))
		write("desktop/tray/icons/"+v.name+".png", p)
		write("desktop/tray/icons/"+v.name+".ico", ico(pngBytes(draw(32, clear, blue, v.badge, false))))
		write("desktop/tray/icons/"+v.name+"-template.png", pngBytes(draw(44, clear, black, v.badge, false)))
	}
}
