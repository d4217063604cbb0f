package media

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const imgTestMaxPixels = 40_000_000

var imgTestWidths = []int{320, 800, 1600}

// imgTestPhoto returns w×h pixels of smooth gradients plus noise: flat areas
// and fine detail, like a photo.
func imgTestPhoto(w, h int, seed uint64) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 1))
	for y := range h {
		for x := range w {
			n := rng.IntN(33) - 16
			i := m.PixOffset(x, y)
			m.Pix[i+0] = imgTestClamp(255*x/w + n)
			m.Pix[i+1] = imgTestClamp(255*y/h + n)
			m.Pix[i+2] = imgTestClamp(255 - 255*(x+y)/(w+h) + n)
			m.Pix[i+3] = 0xff
		}
	}
	return m
}

func imgTestClamp(v int) uint8 { return uint8(min(max(v, 0), 255)) }

func imgTestJPEG(tb testing.TB, m image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func imgTestPNG(tb testing.TB, m image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// imgTestExifSegment returns an APP1 segment whose IFD0 holds one
// Orientation entry, followed by extra bytes inside the segment.
func imgTestExifSegment(bo binary.ByteOrder, orient uint16, extra []byte) []byte {
	var tiff bytes.Buffer
	if bo == binary.LittleEndian {
		tiff.WriteString("II*\x00")
	} else {
		tiff.WriteString("MM\x00*")
	}
	for _, v := range []any{uint32(8), uint16(1), uint16(0x0112), uint16(3), uint32(1), orient, uint16(0), uint32(0)} {
		_ = binary.Write(&tiff, bo, v)
	}
	payload := append(append([]byte("Exif\x00\x00"), tiff.Bytes()...), extra...)
	return append([]byte{0xff, 0xe1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
}

// imgTestSplice inserts segments right after a JPEG's SOI marker.
func imgTestSplice(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

// imgTestPNGHeader returns a PNG signature and IHDR (8-bit RGBA) declaring
// w×h, with a correct CRC and no pixel data.
func imgTestPNGHeader(w, h uint32) []byte {
	chunk := binary.BigEndian.AppendUint32(nil, 13)
	chunk = append(chunk, "IHDR"...)
	chunk = binary.BigEndian.AppendUint32(chunk, w)
	chunk = binary.BigEndian.AppendUint32(chunk, h)
	chunk = append(chunk, 8, 6, 0, 0, 0)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append([]byte("\x89PNG\r\n\x1a\n"), chunk...)
}

// imgTestDecode decodes a rendition as a browser would: by its content type.
func imgTestDecode(t *testing.T, r Rendition) image.Image {
	t.Helper()
	var m image.Image
	var err error
	switch {
	case r.ContentType == "image/jpeg" && r.Ext == ".jpg":
		m, err = jpeg.Decode(bytes.NewReader(r.Data))
	case r.ContentType == "image/png" && r.Ext == ".png":
		m, err = png.Decode(bytes.NewReader(r.Data))
	default:
		t.Fatalf("rendition type %q ext %q", r.ContentType, r.Ext)
	}
	if err != nil {
		t.Fatalf("decode %s rendition: %v", r.ContentType, err)
	}
	if got := m.Bounds().Size(); got != image.Pt(r.Width, r.Height) {
		t.Fatalf("rendition says %dx%d, decodes to %v", r.Width, r.Height, got)
	}
	return m
}

// imgTestSizes lists each rendition's size, narrowest first.
func imgTestSizes(p Processed) []image.Point {
	var s []image.Point
	for _, r := range p.Renditions {
		s = append(s, image.Pt(r.Width, r.Height))
	}
	return s
}

func TestProcessImageRenditionSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		w, h   int
		widths []int
		want   []image.Point
	}{
		{"12MP", 4000, 3000, imgTestWidths, []image.Point{{320, 240}, {800, 600}, {1600, 1200}}},
		{"NarrowerThanSmallestWidth", 200, 100, imgTestWidths, []image.Point{{200, 100}}},
		{"Tall", 1000, 3000, imgTestWidths, []image.Point{{320, 960}, {800, 2400}, {1000, 3000}}},
		{"BetweenWidthsKeepsItsOwnWidthForTheWidest", 1200, 600, imgTestWidths, []image.Point{{320, 160}, {800, 400}, {1200, 600}}},
		{"ExactWidthIsNotResampled", 800, 533, imgTestWidths, []image.Point{{320, 213}, {800, 533}}},
		{"HeightRounds", 1001, 333, []int{320}, []image.Point{{320, 106}}},
		{"HeightAtLeastOne", 4000, 3, []int{320}, []image.Point{{320, 1}}},
		{"UnsortedDuplicatedAndInvalidWidths", 2000, 1000, []int{1600, -1, 320, 0, 1600, 800, 320}, []image.Point{{320, 160}, {800, 400}, {1600, 800}}},
		{"NoWidthsKeepsSourceSize", 640, 480, nil, []image.Point{{640, 480}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := imgTestJPEG(t, imgTestPhoto(tt.w, tt.h, 1))
			p, err := ProcessImage(bytes.NewReader(src), tt.widths, imgTestMaxPixels)
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != tt.w || p.Height != tt.h {
				t.Errorf("source size %dx%d, want %dx%d", p.Width, p.Height, tt.w, tt.h)
			}
			if got := imgTestSizes(p); !slices.Equal(got, tt.want) {
				t.Fatalf("renditions %v, want %v", got, tt.want)
			}
			for _, r := range p.Renditions {
				if r.ContentType != "image/jpeg" {
					t.Errorf("%dx%d: content type %q for an opaque source", r.Width, r.Height, r.ContentType)
				}
				imgTestDecode(t, r)
			}
		})
	}
}

func TestProcessImageOutputFormat(t *testing.T) {
	t.Parallel()
	halfClear := image.NewNRGBA(image.Rect(0, 0, 1000, 500))
	for y := range 500 {
		for x := range 1000 {
			if x >= 500 {
				halfClear.SetNRGBA(x, y, color.NRGBA{R: 255, A: 255})
			}
		}
	}
	pal := image.NewPaletted(image.Rect(0, 0, 64, 64), color.Palette{color.NRGBA{}, color.NRGBA{G: 255, A: 255}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 2)
	}
	deep := image.NewRGBA64(image.Rect(0, 0, 400, 300))
	for i := 0; i < len(deep.Pix); i += 8 {
		deep.Pix[i], deep.Pix[i+6], deep.Pix[i+7] = uint8(i), 0xff, 0xff
	}
	gray := image.NewGray(image.Rect(0, 0, 400, 300))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i)
	}
	tests := []struct {
		name string
		src  []byte
		want string
	}{
		{"TranslucentPNGStaysPNG", imgTestPNG(t, halfClear), "image/png"},
		{"PalettedWithTransparencyStaysPNG", imgTestPNG(t, pal), "image/png"},
		{"OpaquePNGBecomesJPEG", imgTestPNG(t, imgTestPhoto(900, 600, 2)), "image/jpeg"},
		{"GrayJPEGStaysJPEG", imgTestJPEG(t, gray), "image/jpeg"},
		{"Opaque16BitPNGBecomesJPEG", imgTestPNG(t, deep), "image/jpeg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ProcessImage(bytes.NewReader(tt.src), []int{320}, imgTestMaxPixels)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Renditions {
				if r.ContentType != tt.want {
					t.Errorf("%dx%d: content type %q, want %q", r.Width, r.Height, r.ContentType, tt.want)
				}
				imgTestDecode(t, r)
			}
		})
	}
	t.Run("TransparencyIsKeptWhereItWas", func(t *testing.T) {
		t.Parallel()
		p, err := ProcessImage(bytes.NewReader(imgTestPNG(t, halfClear)), []int{100}, imgTestMaxPixels)
		if err != nil {
			t.Fatal(err)
		}
		m := imgTestDecode(t, p.Renditions[0])
		if got := color.NRGBAModel.Convert(m.At(10, 25)).(color.NRGBA); got.A != 0 {
			t.Errorf("left side %v, want transparent", got)
		}
		if got := color.NRGBAModel.Convert(m.At(90, 25)).(color.NRGBA); got != (color.NRGBA{R: 255, A: 255}) {
			t.Errorf("right side %v, want opaque red", got)
		}
	})
	t.Run("FlatTranslucentColourSurvivesResampling", func(t *testing.T) {
		t.Parallel()
		want := color.NRGBA{R: 200, G: 100, B: 50, A: 128}
		r := image.Rect(0, 0, 999, 333)
		eight, sixteen := image.NewNRGBA(r), image.NewNRGBA64(r)
		for y := range r.Dy() {
			for x := range r.Dx() {
				eight.Set(x, y, want)
				sixteen.Set(x, y, want)
			}
		}
		for _, src := range []image.Image{eight, sixteen} {
			p, err := ProcessImage(bytes.NewReader(imgTestPNG(t, src)), []int{100, 320}, imgTestMaxPixels)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Renditions {
				m := imgTestDecode(t, r)
				for y := range r.Height {
					for x := range r.Width {
						got := color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
						if imgTestDiff(got, want) > 2 {
							t.Fatalf("%T source, %dx%d at (%d,%d): %v, want %v", src, r.Width, r.Height, x, y, got, want)
						}
					}
				}
			}
		}
	})
}

func imgTestDiff(a, b color.NRGBA) int {
	d := 0
	for _, v := range []int{int(a.R) - int(b.R), int(a.G) - int(b.G), int(a.B) - int(b.B), int(a.A) - int(b.A)} {
		d = max(d, v, -v)
	}
	return d
}

func TestProcessImageWebP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		w, h     int
		wantType string
		lumas    map[image.Point]int
	}{
		// Red, green / blue, white have distinct lumas, so the pixel layout
		// shows through JPEG's shared chroma sample.
		{"rgbw-2x2.lossless.webp", 2, 2, "image/jpeg", map[image.Point]int{
			{0, 0}: 76, {1, 0}: 150, {0, 1}: 29, {1, 1}: 255,
		}},
		{"blue-purple-pink.lossy.webp", 150, 100, "image/jpeg", nil},
		{"yellow_rose.lossy-with-alpha.webp", 400, 301, "image/png", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p, err := ProcessImage(f, []int{320, 800}, imgTestMaxPixels)
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != tt.w || p.Height != tt.h {
				t.Fatalf("size %dx%d, want %dx%d", p.Width, p.Height, tt.w, tt.h)
			}
			last := p.Renditions[len(p.Renditions)-1]
			if last.ContentType != tt.wantType {
				t.Errorf("content type %q, want %q", last.ContentType, tt.wantType)
			}
			m := imgTestDecode(t, last)
			for pt, want := range tt.lumas {
				got := int(m.(*image.YCbCr).YCbCrAt(pt.X, pt.Y).Y)
				if got < want-20 || got > want+20 {
					t.Errorf("pixel %v luma %d, want about %d", pt, got, want)
				}
			}
		})
	}
}

// imgTestMarkers lists the JPEG markers before the first scan.
func imgTestMarkers(t *testing.T, b []byte) []byte {
	t.Helper()
	var ms []byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		ms = append(ms, b[i+1])
		if b[i+1] == 0xda {
			return ms
		}
		i += 2 + (int(b[i+2])<<8 | int(b[i+3]))
	}
	t.Fatal("no scan")
	return nil
}

func TestProcessImageStripsMetadata(t *testing.T) {
	t.Parallel()
	const secret = "GPS 48.8584N 2.2945E serial 1234"
	com := append([]byte{0xff, 0xfe, 0, byte(len(secret) + 2)}, secret...)
	src := imgTestSplice(imgTestJPEG(t, imgTestPhoto(1000, 750, 3)),
		imgTestExifSegment(binary.BigEndian, 1, []byte(secret)), com)
	p, err := ProcessImage(bytes.NewReader(src), []int{320, 1000}, imgTestMaxPixels)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Renditions {
		imgTestDecode(t, r)
		for _, m := range imgTestMarkers(t, r.Data) {
			if m >= 0xe0 && m <= 0xef || m == 0xfe {
				t.Errorf("%dx%d output carries marker %#x", r.Width, r.Height, m)
			}
		}
		if bytes.Contains(r.Data, []byte(secret)) || bytes.Contains(r.Data, []byte("Exif")) {
			t.Errorf("%dx%d output carries the upload's metadata", r.Width, r.Height)
		}
	}
}

func TestProcessImageOrientation(t *testing.T) {
	t.Parallel()
	// The stored frame is 256×128 with a different colour in each quadrant.
	const w, h = 256, 128
	colours := map[string]color.NRGBA{
		"TL": {255, 0, 0, 255}, "TR": {0, 255, 0, 255}, "BL": {0, 0, 255, 255}, "BR": {255, 255, 255, 255},
	}
	stored := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			q := map[bool]string{false: "T", true: "B"}[y >= h/2] + map[bool]string{false: "L", true: "R"}[x >= w/2]
			stored.SetNRGBA(x, y, colours[q])
		}
	}
	plain := imgTestJPEG(t, stored)
	// Which stored corner a viewer sees in the top-left, top-right and
	// bottom-left corners, read off the EXIF 2.3 table ("0th row" is the
	// stored top, "0th column" the stored left).
	tests := []struct {
		orient     uint16
		tl, tr, bl string
	}{
		{1, "TL", "TR", "BL"}, // row 0 top, column 0 left
		{2, "TR", "TL", "BR"}, // row 0 top, column 0 right
		{3, "BR", "BL", "TR"}, // row 0 bottom, column 0 right
		{4, "BL", "BR", "TL"}, // row 0 bottom, column 0 left
		{5, "TL", "BL", "TR"}, // row 0 left, column 0 top
		{6, "BL", "TL", "BR"}, // row 0 right, column 0 top
		{7, "BR", "TR", "BL"}, // row 0 right, column 0 bottom
		{8, "TR", "BR", "TL"}, // row 0 left, column 0 bottom
	}
	for _, tt := range tests {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			t.Run(string(rune('0'+tt.orient))+"/"+bo.String(), func(t *testing.T) {
				t.Parallel()
				src := imgTestSplice(plain, imgTestExifSegment(bo, tt.orient, nil))
				p, err := ProcessImage(bytes.NewReader(src), []int{64, 1 << 20}, imgTestMaxPixels)
				if err != nil {
					t.Fatal(err)
				}
				vw, vh := w, h
				if tt.orient >= 5 {
					vw, vh = h, w
				}
				if p.Width != vw || p.Height != vh {
					t.Fatalf("size %dx%d, want %dx%d", p.Width, p.Height, vw, vh)
				}
				r := p.Renditions[0]
				if want := image.Pt(64, 64*vh/vw); image.Pt(r.Width, r.Height) != want {
					t.Fatalf("rendition %dx%d, want %v", r.Width, r.Height, want)
				}
				m := imgTestDecode(t, r)
				const in = 4
				for _, c := range []struct {
					at    image.Point
					which string
				}{{image.Pt(in, in), tt.tl}, {image.Pt(r.Width-1-in, in), tt.tr}, {image.Pt(in, r.Height-1-in), tt.bl}} {
					got := color.NRGBAModel.Convert(m.At(c.at.X, c.at.Y)).(color.NRGBA)
					if want := colours[c.which]; imgTestDiff(got, want) > 40 {
						t.Errorf("pixel %v = %v, want stored %s corner %v", c.at, got, c.which, want)
					}
				}
			})
		}
	}
}

func TestProcessImageRejectsHostileInput(t *testing.T) {
	t.Parallel()
	photo := imgTestJPEG(t, imgTestPhoto(300, 200, 4))
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	var gifData bytes.Buffer
	if err := gif.Encode(&gifData, image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White}), nil); err != nil {
		t.Fatal(err)
	}
	var zipData bytes.Buffer
	zw := zip.NewWriter(&zipData)
	if fw, err := zw.Create("cover.jpg"); err == nil {
		_, _ = fw.Write(photo)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	badCRC := imgTestPNG(t, imgTestPhoto(40, 30, 6))
	badCRC[len(badCRC)-13] ^= 0xff // last byte of the IDAT CRC
	// A frame header and the start of a scan, which is where the JPEG
	// header parse stops.
	sof := func(w, h uint16) []byte {
		return []byte{0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
			1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xda, 0, 12}
	}
	vp8x := func(w, h uint32) []byte {
		b := []byte("RIFF\x1e\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00")
		b = append(b, byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
		return append(b, "VP8 \x00\x00\x00\x00"...)
	}
	// APP2 segments, 64 KiB each, past the 16 MiB the header parse may read.
	endless := []byte{0xff, 0xd8}
	for range 260 {
		endless = append(append(endless, 0xff, 0xe2, 0xff, 0xff), make([]byte, 0xfffd)...)
	}
	tests := []struct {
		name      string
		src       []byte
		maxPixels int64
		want      error
		cause     string // part of the decoder's message that must survive
	}{
		{"PNGBomb50000x50000", imgTestPNGHeader(50000, 50000), 1 << 62, ErrTooManyPixels, ""},
		{"PNGOverPixelLimit", imgTestPNGHeader(8000, 5001), imgTestMaxPixels, ErrTooManyPixels, ""},
		{"PNGAtPixelLimitIsDecoded", imgTestPNGHeader(8000, 5000), imgTestMaxPixels, ErrNotImage, "unexpected EOF"},
		{"PNGSideOver20000", imgTestPNGHeader(20001, 1), 1 << 62, ErrTooManyPixels, ""},
		{"PNGSideAt20000IsDecoded", imgTestPNGHeader(20000, 1), 1 << 62, ErrNotImage, "unexpected EOF"},
		{"PNGZeroWidth", imgTestPNGHeader(0, 10), imgTestMaxPixels, ErrNotImage, ""},
		{"PNGBadCRC", badCRC, imgTestMaxPixels, ErrNotImage, "checksum"},
		{"JPEGFrameBomb", sof(30000, 30000), 1 << 62, ErrTooManyPixels, ""},
		{"WebPCanvasBomb", vp8x(16000, 16000), imgTestMaxPixels, ErrTooManyPixels, ""},
		{"ZeroPixelBudget", photo, 0, ErrTooManyPixels, ""},
		{"TruncatedJPEG", photo[:len(photo)/2], imgTestMaxPixels, ErrNotImage, "invalid JPEG format"},
		{"JPEGSignatureThenGarbage", append([]byte{0xff, 0xd8}, random...), imgTestMaxPixels, ErrNotImage, "unexpected EOF"},
		{"EndlessJPEGHeader", endless, imgTestMaxPixels, ErrNotImage, "header longer than"},
		{"Empty", nil, imgTestMaxPixels, ErrNotImage, ""},
		{"RandomBytes", random, imgTestMaxPixels, ErrNotImage, ""},
		{"GIF", gifData.Bytes(), imgTestMaxPixels, ErrNotImage, ""},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`), imgTestMaxPixels, ErrNotImage, ""},
		{"HTML", []byte("<!doctype html><html><body><img src=x onerror=alert(1)></body></html>"), imgTestMaxPixels, ErrNotImage, ""},
		{"ZIP", zipData.Bytes(), imgTestMaxPixels, ErrNotImage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ProcessImage(bytes.NewReader(tt.src), imgTestWidths, tt.maxPixels)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.cause) {
				t.Errorf("err = %q, want the cause %q kept", err, tt.cause)
			}
			if len(p.Renditions) != 0 {
				t.Errorf("got %d renditions with an error", len(p.Renditions))
			}
		})
	}
}

// TestProcessImageRefusesBombBeforeAllocating is not parallel: it reads the
// process-wide allocation counter.
func TestProcessImageRefusesBombBeforeAllocating(t *testing.T) {
	bomb := imgTestPNGHeader(50000, 50000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ProcessImage(bytes.NewReader(bomb), imgTestWidths, 1<<62)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("err = %v, want ErrTooManyPixels", err)
	}
	// Decoding would need 10 GB; the header check needs the read buffer.
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", got)
	}
}

// TestProcessImageAllocatesPerImageNotPerPixel is not parallel: it counts
// the process's allocations. A per-pixel allocation (an image.At in a hot
// loop) would show up as hundreds of thousands.
func TestProcessImageAllocatesPerImageNotPerPixel(t *testing.T) {
	deep := image.NewRGBA64(image.Rect(0, 0, 1000, 750))
	for i := range deep.Pix {
		deep.Pix[i] = 0xff
	}
	for _, src := range [][]byte{imgTestJPEG(t, imgTestPhoto(1000, 750, 8)), imgTestPNG(t, deep)} {
		allocs := testing.AllocsPerRun(2, func() {
			if _, err := ProcessImage(bytes.NewReader(src), imgTestWidths, imgTestMaxPixels); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 1000 {
			t.Errorf("%d allocations for one image", int(allocs))
		}
	}
}

// imgTestExifJPEG is a minimal JPEG prefix: SOI and one APP1 segment.
func imgTestExifJPEG(bo binary.ByteOrder, orient uint16) []byte {
	return imgTestSplice([]byte{0xff, 0xd8}, imgTestExifSegment(bo, orient, nil))
}

func TestImageExifOrientationMalformed(t *testing.T) {
	t.Parallel()
	valid := imgTestExifJPEG(binary.LittleEndian, 6)
	tiff := len(valid) - 26 // where the TIFF header starts
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, valid...)) }
	tests := []struct {
		name string
		src  []byte
		want int
	}{
		{"Valid", valid, 6},
		{"ValidBigEndian", imgTestExifJPEG(binary.BigEndian, 8), 8},
		{"OutOfRangeValue", imgTestExifJPEG(binary.BigEndian, 9), 1},
		{"ZeroValue", imgTestExifJPEG(binary.BigEndian, 0), 1},
		{"Empty", nil, 1},
		{"NotJPEG", []byte("\x89PNG\r\n\x1a\n"), 1},
		{"TruncatedEverywhere", valid[:len(valid)-5], 1},
		{"SegmentLengthPastEnd", mutate(func(b []byte) []byte { b[4], b[5] = 0xff, 0xff; return b }), 6},
		{"SegmentLengthTooSmall", mutate(func(b []byte) []byte { b[4], b[5] = 0, 1; return b }), 1},
		{"IFDOffsetOutOfRange", mutate(func(b []byte) []byte { b[tiff+4], b[tiff+7] = 0xff, 0x7f; return b }), 1},
		{"IFDOffsetPointsAtItself", mutate(func(b []byte) []byte { b[tiff+4] = 4; return b }), 1},
		{"HugeEntryCount", mutate(func(b []byte) []byte { b[tiff+8], b[tiff+9] = 0xff, 0xff; return b }), 6},
		{"WrongType", mutate(func(b []byte) []byte { b[tiff+12] = 7; return b }), 1},
		{"HugeValueCount", mutate(func(b []byte) []byte { b[tiff+17] = 0xff; return b }), 1},
		{"BadByteOrder", mutate(func(b []byte) []byte { b[tiff] = 'X'; return b }), 1},
		{"ScanBeforeExif", imgTestSplice([]byte{0xff, 0xd8}, []byte{0xff, 0xda, 0, 2}, imgTestExifSegment(binary.BigEndian, 3, nil)), 1},
		{"FillBytesAndXMPFirst", imgTestSplice([]byte{0xff, 0xd8}, []byte{0xff, 0xff, 0xff, 0xe1, 0, 6, 'h', 't', 't', 'p'}, imgTestExifSegment(binary.BigEndian, 3, nil)), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := imgExifOrientation(tt.src); got != tt.want {
				t.Errorf("orientation %d, want %d", got, tt.want)
			}
		})
	}
}

func FuzzOrientation(f *testing.F) {
	valid := imgTestExifJPEG(binary.LittleEndian, 6)
	loop := append([]byte{}, valid...)
	loop[len(loop)-4] = 8 // next IFD offset back to IFD0
	f.Add(valid)
	f.Add(imgTestExifJPEG(binary.BigEndian, 3))
	f.Add(loop)
	f.Add(valid[:len(valid)-7])
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, '*', 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0xff, 0xd8, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if got := imgExifOrientation(b); got < 1 || got > 8 {
			t.Fatalf("orientation %d outside 1–8", got)
		}
	})
}

func BenchmarkProcessImage12MP(b *testing.B) {
	src := imgTestJPEG(b, imgTestPhoto(4000, 3000, 7))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ProcessImage(bytes.NewReader(src), imgTestWidths, imgTestMaxPixels); err != nil {
			b.Fatal(err)
		}
	}
}
