package evidence

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/lawvillage/lawvillage/internal/core"
)

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		for y := range 16 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 16), 128, 255})
		}
	}
	return img
}

func jpegFile(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngFile(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// webpFile is a 1x1 lossless WebP.
func webpFile() []byte {
	return []byte{
		'R', 'I', 'F', 'F', 0x1a, 0, 0, 0, 'W', 'E', 'B', 'P',
		'V', 'P', '8', 'L', 0x0d, 0, 0, 0, 0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00,
	}
}

// isoBMFF returns the start of an ISO-BMFF file: an ftyp box with the major
// brand and compatible brands, then an empty meta box.
func isoBMFF(major string, compatible ...string) []byte {
	var b bytes.Buffer
	size := uint32(16 + 4*len(compatible))
	binary.Write(&b, binary.BigEndian, size)
	b.WriteString("ftyp" + major)
	b.Write([]byte{0, 0, 0, 0})
	for _, c := range compatible {
		b.WriteString(c)
	}
	binary.Write(&b, binary.BigEndian, uint32(12))
	b.WriteString("meta")
	b.Write([]byte{0, 0, 0, 0})
	return b.Bytes()
}

func pdfFile() []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n" +
		"trailer << /Root 1 0 R >>\n%%EOF\n")
}

func xlsxFile(t testing.TB) []byte {
	f := excelize.NewFile()
	defer f.Close()
	f.SetCellValue("Sheet1", "A1", "姓名")
	f.SetCellValue("Sheet1", "B1", "签到")
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type zipEntry struct {
	name   string
	body   []byte
	stored bool // no compression
}

func zipFile(t testing.TB, entries ...zipEntry) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		method := zip.Deflate
		if e.stored {
			method = zip.Store
		}
		f, err := w.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		f.Write(e.body)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const contentTypesDocx = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>`

const relsDocx = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>`

const documentDocx = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>村民议事会签到表</w:t></w:r></w:p></w:body></w:document>`

func docxFile(t testing.TB, extra ...zipEntry) []byte {
	entries := []zipEntry{{name: "[Content_Types].xml", body: []byte(contentTypesDocx)}}
	entries = append(entries, extra...)
	entries = append(entries,
		zipEntry{name: "_rels/.rels", body: []byte(relsDocx)},
		zipEntry{name: "word/document.xml", body: []byte(documentDocx)})
	return zipFile(t, entries...)
}

func pptxFile(t testing.TB) []byte {
	return zipFile(t,
		zipEntry{name: "[Content_Types].xml", body: []byte(strings.ReplaceAll(contentTypesDocx, "word/document.xml", "ppt/presentation.xml"))},
		zipEntry{name: "_rels/.rels", body: []byte(strings.ReplaceAll(relsDocx, "word/document.xml", "ppt/presentation.xml"))},
		zipEntry{name: "ppt/presentation.xml", body: []byte(`<?xml version="1.0"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`)},
	)
}

// cfbFile builds a minimal OLE2 compound file (version 3, 512-byte sectors):
// header, one FAT sector, one directory sector holding the root storage and
// one empty stream named stream.
func cfbFile(stream string) []byte {
	const sec = 512
	out := make([]byte, 3*sec)
	le := binary.LittleEndian
	h := out[:sec]
	copy(h, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le.PutUint16(h[24:], 0x003E)     // minor version
	le.PutUint16(h[26:], 3)          // major version
	le.PutUint16(h[28:], 0xFFFE)     // byte order
	le.PutUint16(h[30:], 9)          // sector shift: 512
	le.PutUint16(h[32:], 6)          // mini sector shift: 64
	le.PutUint32(h[44:], 1)          // number of FAT sectors
	le.PutUint32(h[48:], 1)          // first directory sector
	le.PutUint32(h[56:], 4096)       // mini stream cutoff
	le.PutUint32(h[60:], 0xFFFFFFFE) // first mini FAT sector: none
	le.PutUint32(h[68:], 0xFFFFFFFE) // first DIFAT sector: none
	for i := range 109 {
		le.PutUint32(h[76+4*i:], 0xFFFFFFFF)
	}
	le.PutUint32(h[76:], 0) // FAT is sector 0

	fat := out[sec : 2*sec]
	for i := range sec / 4 {
		le.PutUint32(fat[4*i:], 0xFFFFFFFF)
	}
	le.PutUint32(fat[0:], 0xFFFFFFFD) // sector 0: FAT
	le.PutUint32(fat[4:], 0xFFFFFFFE) // sector 1: directory, end of chain

	dir := out[2*sec:]
	entry := func(i int, name string, typ byte, child uint32) {
		e := dir[i*128 : (i+1)*128]
		u := utf16.Encode([]rune(name))
		for j, c := range u {
			le.PutUint16(e[2*j:], c)
		}
		le.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66] = typ
		e[67] = 1 // black
		le.PutUint32(e[68:], 0xFFFFFFFF)
		le.PutUint32(e[72:], 0xFFFFFFFF)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], 0xFFFFFFFE)
	}
	entry(0, "Root Entry", 5, 1)
	entry(1, stream, 2, 0xFFFFFFFF)
	for i := 2; i < 4; i++ {
		le.PutUint32(dir[i*128+68:], 0xFFFFFFFF)
		le.PutUint32(dir[i*128+72:], 0xFFFFFFFF)
		le.PutUint32(dir[i*128+76:], 0xFFFFFFFF)
	}
	return out
}

func elfFile(t testing.TB) []byte {
	exe, err := os.Executable() // this test binary
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 100<<10))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exeFile() []byte {
	b := make([]byte, 512)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	return b
}

// replayed reads the whole replay reader.
func replayed(t testing.TB, r io.Reader) []byte {
	t.Helper()
	if r == nil {
		t.Fatal("nil replay reader")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSniffAllowed(t *testing.T) {
	// A docx whose word/ part comes after a 200 KiB thumbnail: settled only
	// by the extended prefix.
	thumb := bytes.Repeat([]byte{0xAB}, 200<<10)
	bigDocx := docxFile(t, zipEntry{name: "docProps/thumbnail.jpeg", body: thumb, stored: true})

	cases := []struct {
		name string
		data []byte
		mime string
		ext  string
	}{
		{"jpeg", jpegFile(t), "image/jpeg", ".jpg"},
		{"png", pngFile(t), "image/png", ".png"},
		{"webp", webpFile(), "image/webp", ".webp"},
		{"heic", isoBMFF("heic", "mif1", "heic"), "image/heic", ".heic"},
		{"heif", isoBMFF("mif1", "mif1", "heic"), "image/heif", ".heif"},
		{"pdf", pdfFile(), "application/pdf", ".pdf"},
		{"xlsx", xlsxFile(t), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
		{"docx", docxFile(t), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
		{"docx after big thumbnail", bigDocx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
		{"pptx", pptxFile(t), "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"},
		{"doc", cfbFile("WordDocument"), "application/msword", ".doc"},
		{"xls", cfbFile("Workbook"), "application/vnd.ms-excel", ".xls"},
		{"ppt", cfbFile("PowerPoint Document"), "application/vnd.ms-powerpoint", ".ppt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, rd := range []struct {
				name string
				r    io.Reader
			}{
				{"whole", bytes.NewReader(tc.data)},
				{"one byte at a time", iotest.OneByteReader(bytes.NewReader(tc.data))},
			} {
				k, r, err := Sniff(rd.r)
				if err != nil {
					t.Fatalf("%s: Sniff: %v", rd.name, err)
				}
				if k.MIME != tc.mime || k.Ext != tc.ext || k.Label == "" {
					t.Fatalf("%s: kind = %+v, want %s %s", rd.name, k, tc.mime, tc.ext)
				}
				if !IsAllowed(k.MIME) {
					t.Fatalf("IsAllowed(%s) = false", k.MIME)
				}
				if got := replayed(t, r); !bytes.Equal(got, tc.data) {
					t.Fatalf("%s: replay gave %d bytes, want the %d original bytes", rd.name, len(got), len(tc.data))
				}
			}
		})
	}
}

func TestSniffRejected(t *testing.T) {
	cases := []struct {
		name  string
		data  []byte
		found string // detected MIME named in the message
	}{
		// The test binary: ET_EXEC normally, ET_DYN when built as PIE.
		{"elf", elfFile(t), "application/x-executable|application/x-sharedlib"},
		{"windows exe", exeFile(), "application/vnd.microsoft.portable-executable"},
		{"html", []byte("<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>"), "text/html"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "image/svg+xml"},
		{"plain text", []byte("村民议事会 2026年5月 签到\n张三\n李四\n"), "text/plain"},
		{"shell script", []byte("#!/bin/sh\nrm -rf /\n"), "text/x-shellscript"},
		{"zip", zipFile(t, zipEntry{name: "readme.txt", body: []byte("hello")}), "application/zip"},
		{"zip with word/ but no OOXML start", zipFile(t, zipEntry{name: "evil.exe", body: exeFile()}, zipEntry{name: "word/document.xml", body: []byte("x")}), "application/zip"},
		{"ole, not office", cfbFile("Contents"), "application/x-ole-storage"},
		{"mp4 video", isoBMFF("isom", "isom", "mp41"), "video/mp4"},
		{"avif", isoBMFF("avif", "avif", "mif1"), "image/avif"},
		{"random bytes", bytes.Repeat([]byte{0x00, 0x9c, 0x13, 0xfe}, 300), "application/octet-stream"},
		{"empty", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, r, err := Sniff(bytes.NewReader(tc.data))
			ce := core.AsError(err)
			if ce == nil || ce.Code != core.EFILETYPE {
				t.Fatalf("Sniff: kind %+v, err %v; want %s", k, err, core.EFILETYPE)
			}
			t.Logf("%s", err)
			if tc.found != "" && !slices.Contains(strings.Split(tc.found, "|"), k.MIME) {
				t.Errorf("detected %q, want %q", k.MIME, tc.found)
			}
			if IsAllowed(k.MIME) {
				t.Errorf("IsAllowed(%q) = true", k.MIME)
			}
			if !strings.Contains(ce.Zh, "允许的类型") || !strings.Contains(ce.En, "allowed types") ||
				!strings.Contains(ce.Zh, "JPEG") || !strings.Contains(ce.En, "PDF") {
				t.Errorf("message does not list the allowed types: %q / %q", ce.Zh, ce.En)
			}
			if k.MIME != "" && k.MIME != "application/octet-stream" &&
				(!strings.Contains(ce.Zh, k.MIME) || !strings.Contains(ce.En, k.MIME)) {
				t.Errorf("message does not name %s: %q / %q", k.MIME, ce.Zh, ce.En)
			}
			if got := replayed(t, r); !bytes.Equal(got, tc.data) {
				t.Fatalf("replay gave %d bytes, want %d", len(got), len(tc.data))
			}
		})
	}
}

// TestSniffBoundedRead: Sniff reads a bounded prefix and leaves the rest of
// the stream to the caller.
func TestSniffBoundedRead(t *testing.T) {
	data := append(jpegFile(t), bytes.Repeat([]byte{7}, 4<<20)...)
	cr := &countingReader{r: bytes.NewReader(data)}
	k, r, err := Sniff(cr)
	if err != nil || k.MIME != "image/jpeg" {
		t.Fatalf("Sniff: %+v %v", k, err)
	}
	if cr.n > sniffPrefix {
		t.Fatalf("Sniff read %d bytes of a JPEG, want at most %d", cr.n, sniffPrefix)
	}
	if got := replayed(t, r); !bytes.Equal(got, data) {
		t.Fatal("replay differs")
	}

	// A plain zip (not settled by the first 64 KiB) is read up to the extended limit only.
	big := zipFile(t, zipEntry{name: "a.bin", body: bytes.Repeat([]byte{0xAB}, 3<<20), stored: true})
	cr = &countingReader{r: bytes.NewReader(big)}
	_, r, err = Sniff(cr)
	wantFileType(t, err)
	if cr.n > sniffMax {
		t.Fatalf("Sniff read %d bytes of a zip, want at most %d", cr.n, sniffMax)
	}
	if got := replayed(t, r); !bytes.Equal(got, big) {
		t.Fatal("replay differs")
	}
}

func wantFileType(t testing.TB, err error) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.EFILETYPE {
		t.Fatalf("want %s, got %v", core.EFILETYPE, err)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestSniffReadError(t *testing.T) {
	boom := errors.New("connection reset")
	_, r, err := Sniff(io.MultiReader(bytes.NewReader([]byte{0xFF, 0xD8}), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) || r != nil {
		t.Fatalf("Sniff: reader %v, err %v; want the read error", r, err)
	}
	if core.AsError(err) != nil {
		t.Fatalf("a read error is not a file-type error: %v", err)
	}
}

func TestNormalizeDeclared(t *testing.T) {
	for in, want := range map[string]string{
		"image/jpeg":                   "image/jpeg",
		"image/jpg":                    "image/jpeg",
		"IMAGE/JPG":                    "image/jpeg",
		"image/pjpeg":                  "image/jpeg",
		" image/png ":                  "image/png",
		"image/x-png":                  "image/png",
		"image/jpeg; charset=binary":   "image/jpeg",
		"application/x-pdf":            "application/pdf",
		"application/vnd.ms-word":      "application/msword",
		"application/msexcel":          "application/vnd.ms-excel",
		"application/x-zip-compressed": "application/zip",
		"image/heic":                   "image/heic",
		"text/html; charset=utf-8":     "text/html",
		"application/x-unknown-kind":   "application/x-unknown-kind",
		"":                             "",
		"garbage":                      "",
		"a/b/c":                        "",
		";;;":                          "",
	} {
		if got := NormalizeDeclared(in); got != want {
			t.Errorf("NormalizeDeclared(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAllowedLists(t *testing.T) {
	got := AllowedMIME()
	if len(got) != 12 || got[0] != "image/jpeg" {
		t.Fatalf("AllowedMIME() = %v", got)
	}
	got[0] = "text/html" // a copy: must not change the package's list
	if IsAllowed("text/html") || !IsAllowed("image/jpeg") {
		t.Fatal("AllowedMIME returned the package's own slice")
	}
	for _, m := range []string{"image/jpg", "image/heif", "application/vnd.ms-powerpoint", "application/pdf; x=y"} {
		if !IsAllowed(m) {
			t.Errorf("IsAllowed(%q) = false", m)
		}
	}
	for _, m := range []string{"image/gif", "image/svg+xml", "text/html", "application/zip", "application/x-ole-storage", "", "application/octet-stream"} {
		if IsAllowed(m) {
			t.Errorf("IsAllowed(%q) = true", m)
		}
	}
	for _, k := range AllowedKinds() {
		if k.MIME == "" || k.Ext == "" || k.Label == "" {
			t.Errorf("incomplete kind %+v", k)
		}
	}
}

func FuzzSniff(f *testing.F) {
	f.Add(jpegFile(f))
	f.Add(pngFile(f))
	f.Add(webpFile())
	f.Add(isoBMFF("heic", "mif1", "heic"))
	f.Add(pdfFile())
	f.Add(docxFile(f))
	f.Add(xlsxFile(f))
	f.Add(cfbFile("WordDocument"))
	f.Add(exeFile())
	f.Add([]byte("<html></html>"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		k, r, err := Sniff(bytes.NewReader(data))
		if err != nil {
			if ce := core.AsError(err); ce == nil || ce.Code != core.EFILETYPE {
				t.Fatalf("unexpected error %v", err)
			}
		} else if !IsAllowed(k.MIME) {
			t.Fatalf("accepted %q which is not allowed", k.MIME)
		}
		if got := replayed(t, r); !bytes.Equal(got, data) {
			t.Fatalf("replay gave %d bytes, want %d", len(got), len(data))
		}
	})
}
