package recordimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lawvillage/lawvillage/internal/core"
)

// table is a file read into rows of cells, whatever its format.
type table struct {
	header   []string
	rows     []tableRow
	xlsx     bool
	date1904 bool
}

type tableRow struct {
	line  int // 1-based; the header is line 1
	cells []string
}

func (r tableRow) blank() bool {
	for _, c := range r.cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

var (
	utf8BOM  = []byte{0xEF, 0xBB, 0xBF}
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// fileError rejects a whole file with one error at a line and column.
func fileError(line int, col, zh, en string) *core.Error {
	return &core.Error{Code: core.EIMPORT,
		Zh:      "导入被拒绝，未写入任何数据：" + zh,
		En:      "import rejected, nothing was written: " + en,
		Details: []core.RowError{{Row: line, Column: col, Zh: zh, En: en}}}
}

// readTable reads an .xlsx workbook (its first sheet) or a UTF-8 CSV file
// (a BOM is allowed), told apart by their content, not their name.
func readTable(data []byte) (*table, error) {
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return nil, fileError(1, "", "文件为空", "the file is empty")
	case bytes.HasPrefix(data, zipMagic):
		return readXLSX(data)
	case bytes.HasPrefix(data, oleMagic):
		return nil, fileError(1, "", "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV UTF-8 后导入",
			"old Excel (.xls) files are not supported: save as .xlsx or CSV UTF-8")
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return nil, fileError(1, "", "文件是 UTF-16（Unicode 文本）编码，请另存为“CSV UTF-8(逗号分隔)”",
			"the file is UTF-16 (Unicode text): save it as CSV UTF-8 (comma delimited)")
	}
	return readCSV(data)
}

func readCSV(data []byte) (*table, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	t := &table{}
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, err
			}
			return nil, fileError(pe.StartLine, "",
				fmt.Sprintf("双引号使用错误（第 %d 行附近）：含逗号或换行的单元格须整体用英文双引号括起，单元格内的双引号写作两个", pe.Line),
				fmt.Sprintf("bad double quotes (near line %d): quote a whole cell that holds a comma or line break, and double any quote inside it", pe.Line))
		}
		line, _ := cr.FieldPos(0)
		for i, c := range rec {
			if utf8.ValidString(c) {
				continue
			}
			col := ""
			if !first && i < len(t.header) {
				col = t.header[i]
			}
			return nil, encodingError(line, col, c)
		}
		if first {
			t.header = trimAll(rec)
			first = false
			continue
		}
		t.rows = append(t.rows, tableRow{line: line, cells: append([]string(nil), rec...)})
		if len(t.rows) > MaxRows {
			return nil, tooManyRows(line)
		}
	}
	if first {
		return nil, fileError(1, "", "文件为空", "the file is empty")
	}
	return t, nil
}

// encodingError rejects a file that is not UTF-8, naming GBK when the bytes
// read as GBK (what Excel on Chinese Windows writes as "CSV").
func encodingError(line int, col, cell string) *core.Error {
	if s, err := simplifiedchinese.GB18030.NewDecoder().String(cell); err == nil && utf8.ValidString(s) && !strings.ContainsRune(s, utf8.RuneError) {
		return fileError(line, col,
			"文件不是 UTF-8 编码（看起来是 GBK/GB18030）：请在 Excel 中“另存为 CSV UTF-8(逗号分隔)”，或直接导入 .xlsx 文件",
			"the file is not UTF-8 (it looks like GBK/GB18030): in Excel use Save As \"CSV UTF-8 (comma delimited)\", or import the .xlsx file")
	}
	return fileError(line, col, "文件不是有效的 UTF-8 文本，请另存为 CSV UTF-8 或导入 .xlsx 文件",
		"the file is not valid UTF-8 text: save it as CSV UTF-8 or import the .xlsx file")
}

func tooManyRows(line int) *core.Error {
	return fileError(line, "", fmt.Sprintf("文件超过 %d 行的上限，请分多个文件导入", MaxRows),
		fmt.Sprintf("the file has more than %d rows: split it", MaxRows))
}

func readXLSX(data []byte) (*table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true,
		UnzipSizeLimit: MaxUnzippedBytes, UnzipXMLSizeLimit: MaxUnzippedBytes})
	if err != nil {
		return nil, fileError(1, "", "无法读取 .xlsx 文件（文件损坏、加密或过大）", "cannot read the .xlsx file (damaged, encrypted or too large)")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fileError(1, "", "工作簿中没有工作表", "the workbook has no sheet")
	}
	rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fileError(1, "", "无法读取第一个工作表", "cannot read the first sheet")
	}
	t := &table{xlsx: true}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		t.date1904 = *props.Date1904
	}
	if len(rows) == 0 {
		return nil, fileError(1, "", "第一个工作表为空", "the first sheet is empty")
	}
	if len(rows)-1 > MaxRows {
		return nil, tooManyRows(MaxRows + 2)
	}
	t.header = trimAll(rows[0])
	for i, r := range rows[1:] {
		t.rows = append(t.rows, tableRow{line: i + 2, cells: r})
	}
	return t, nil
}

func trimAll(rec []string) []string {
	out := make([]string, len(rec))
	for i, c := range rec {
		c = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
		// A required column may be marked with a star in a user's own sheet.
		c = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(c, "*"), "＊"))
		out[i] = c
	}
	return out
}
