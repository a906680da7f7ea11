// Package evidence stores and checks evidence files (photos, sign-in sheets, PDFs) of village activities.
package evidence

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/lawvillage/lawvillage/internal/core"
)

// How much of a file Sniff reads. Most types are settled by their first
// bytes; Office files are zip (OOXML) or OLE (97-2003) containers whose type
// shows in the zip entry names or the OLE directory, which usually sit in the
// first few KiB but may come after a large thumbnail or stream.
const (
	sniffPrefix = 64 << 10 // read first; enough for nearly every file
	sniffMax    = 1 << 20  // read up to this when a zip or OLE container is not settled yet
)

// mimetype truncates every input to a process-wide limit (3 KiB by default);
// raise it so the extended prefix is examined whole.
func init() { mimetype.SetLimit(sniffMax) }

// Kind is a file type found by looking at the content.
type Kind struct {
	MIME  string // canonical MIME type, e.g. image/jpeg
	Ext   string // usual extension with the dot, e.g. .jpg
	Label string // short name for people, the same in Chinese and English, e.g. "JPEG"
}

// allowed lists the types evidence files may have, in display order.
var allowed = []Kind{
	{MIME: "image/jpeg", Ext: ".jpg", Label: "JPEG"},
	{MIME: "image/png", Ext: ".png", Label: "PNG"},
	{MIME: "image/webp", Ext: ".webp", Label: "WebP"},
	{MIME: "image/heic", Ext: ".heic", Label: "HEIC"},
	{MIME: "image/heif", Ext: ".heif", Label: "HEIF"},
	{MIME: "application/pdf", Ext: ".pdf", Label: "PDF"},
	{MIME: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Ext: ".docx", Label: "Word (.docx)"},
	{MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Ext: ".xlsx", Label: "Excel (.xlsx)"},
	{MIME: "application/vnd.openxmlformats-officedocument.presentationml.presentation", Ext: ".pptx", Label: "PowerPoint (.pptx)"},
	{MIME: "application/msword", Ext: ".doc", Label: "Word 97-2003 (.doc)"},
	{MIME: "application/vnd.ms-excel", Ext: ".xls", Label: "Excel 97-2003 (.xls)"},
	{MIME: "application/vnd.ms-powerpoint", Ext: ".ppt", Label: "PowerPoint 97-2003 (.ppt)"},
}

// The allowed list as shown in error messages.
const (
	allowedZh = "JPEG、PNG、WebP、HEIC/HEIF 图片，PDF，Word、Excel、PowerPoint 文档（doc/docx、xls/xlsx、ppt/pptx）"
	allowedEn = "JPEG, PNG, WebP, HEIC/HEIF images, PDF, Word, Excel and PowerPoint documents (doc/docx, xls/xlsx, ppt/pptx)"
)

// declaredAliases maps non-standard types browsers and systems declare to
// the canonical ones; mimetype.Lookup knows the rest.
var declaredAliases = map[string]string{
	"image/jpg":                  "image/jpeg",
	"image/pjpeg":                "image/jpeg",
	"image/jpe":                  "image/jpeg",
	"image/x-png":                "image/png",
	"image/x-webp":               "image/webp",
	"image/x-heic":               "image/heic",
	"image/x-heif":               "image/heif",
	"application/acrobat":        "application/pdf",
	"application/x-pdf":          "application/pdf",
	"text/pdf":                   "application/pdf",
	"application/doc":            "application/msword",
	"application/x-msword":       "application/msword",
	"application/x-msexcel":      "application/vnd.ms-excel",
	"application/x-excel":        "application/vnd.ms-excel",
	"application/x-ms-excel":     "application/vnd.ms-excel",
	"application/excel":          "application/vnd.ms-excel",
	"application/x-mspowerpoint": "application/vnd.ms-powerpoint",
	"application/powerpoint":     "application/vnd.ms-powerpoint",
}

// AllowedMIME returns the canonical MIME types evidence files may have.
func AllowedMIME() []string {
	out := make([]string, len(allowed))
	for i, k := range allowed {
		out[i] = k.MIME
	}
	return out
}

// AllowedKinds returns the types evidence files may have, in display order.
func AllowedKinds() []Kind { return slices.Clone(allowed) }

// IsAllowed reports whether the MIME type (after NormalizeDeclared) is allowed.
func IsAllowed(mimeType string) bool {
	_, ok := lookupAllowed(NormalizeDeclared(mimeType))
	return ok
}

// NormalizeDeclared returns the canonical form of a declared MIME type
// (lower case, no parameters, aliases such as image/jpg resolved to
// image/jpeg), so it can be compared with a sniffed Kind.MIME. It returns ""
// for an empty or unparsable type.
func NormalizeDeclared(mimeType string) string {
	m, _, err := mime.ParseMediaType(strings.TrimSpace(mimeType))
	if err != nil || strings.Count(m, "/") != 1 || strings.HasPrefix(m, "/") || strings.HasSuffix(m, "/") {
		return ""
	}
	if c, ok := declaredAliases[m]; ok {
		return c
	}
	if mt := mimetype.Lookup(m); mt != nil {
		return mt.String()
	}
	return m
}

func lookupAllowed(mimeType string) (Kind, bool) {
	for _, k := range allowed {
		if k.MIME == mimeType {
			return k, true
		}
	}
	return Kind{}, false
}

// Sniff decides the type of a file from its content alone, never from its
// name or declared type. It reads a bounded prefix of r (64 KiB, up to 1 MiB
// for zip or OLE containers whose type is not settled by then) and returns a
// reader that yields the whole file again: the prefix, then the rest of r.
// A type that is not allowed gives a *core.Error with code core.EFILETYPE,
// together with the detected Kind (MIME and Ext only; zero for an empty
// file) and the replay reader.
// Only a read error from r returns a nil reader.
func Sniff(r io.Reader) (Kind, io.Reader, error) {
	buf := make([]byte, sniffPrefix)
	n, eof, err := fill(r, buf)
	if err != nil {
		return Kind{}, nil, err
	}
	buf = buf[:n]
	m := detect(buf)
	if !eof && (m.Is("application/zip") || m.Is("application/x-ole-storage")) {
		more := make([]byte, sniffMax-sniffPrefix)
		k, eof2, err := fill(r, more)
		if err != nil {
			return Kind{}, nil, err
		}
		buf, eof = append(buf, more[:k]...), eof2
		m = detect(buf)
	}
	var replay io.Reader = bytes.NewReader(buf)
	if !eof {
		replay = io.MultiReader(replay, r)
	}

	if len(buf) == 0 {
		return Kind{}, replay, notAllowed("", "", true)
	}
	found, _, _ := mime.ParseMediaType(m.String())
	if k, ok := lookupAllowed(found); ok {
		return k, replay, nil
	}
	return Kind{MIME: found, Ext: m.Extension()}, replay, notAllowed(found, m.Extension(), false)
}

// fill reads into buf until it is full or r ends; eof tells whether r ended.
func fill(r io.Reader, buf []byte) (n int, eof bool, err error) {
	n, err = io.ReadFull(r, buf)
	switch err {
	case nil:
		return n, false, nil
	case io.EOF, io.ErrUnexpectedEOF:
		return n, true, nil
	}
	return n, false, fmt.Errorf("evidence: read file: %w", err)
}

func detect(b []byte) *mimetype.MIME { return mimetype.Detect(b) }

// notAllowed is the error for a file whose detected type is not allowed.
func notAllowed(found, ext string, empty bool) *core.Error {
	if empty {
		return &core.Error{Code: core.EFILETYPE,
			Zh: "文件是空的。允许的类型：" + allowedZh,
			En: "the file is empty; allowed types: " + allowedEn}
	}
	zh, en := found, found
	if found == "application/octet-stream" {
		zh, en = "未知类型", "unknown type"
	} else if ext != "" {
		zh += "，" + ext
		en += ", " + ext
	}
	return &core.Error{Code: core.EFILETYPE,
		Zh: "不支持的文件类型（" + zh + "）。允许的类型：" + allowedZh,
		En: "file type not allowed (" + en + "); allowed types: " + allowedEn}
}
