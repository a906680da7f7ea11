package recordimport

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lawvillage/lawvillage/internal/core"
)

// templateRows is how many rows of the xlsx template get the column formats and drop-down lists.
const templateRows = 20000

// TemplateCSV returns the CSV template of the kind: a UTF-8 BOM (so Excel
// opens it as UTF-8) and the header line.
func TemplateCSV(kind core.RecordKind) ([]byte, error) {
	t, ok := TemplateOf(kind)
	if !ok {
		return nil, core.NotFound("模板 / template")
	}
	var b bytes.Buffer
	b.Write(utf8BOM)
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Name)
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

// TemplateXLSX returns the .xlsx template of the kind: a sheet with the
// header (required columns in red), text format on code columns, a date
// format on date columns, drop-down lists for fixed values, and a second
// sheet explaining every column. It holds no data.
func TemplateXLSX(kind core.RecordKind) ([]byte, error) {
	t, ok := TemplateOf(kind)
	if !ok {
		return nil, core.NotFound("模板 / template")
	}
	f := excelize.NewFile()
	defer f.Close()
	sh := t.Title
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		return nil, err
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, err
	}
	required, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "C00000"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": keep what is typed (leading zeros, long codes)
	if err != nil {
		return nil, err
	}
	dateFmt := "yyyy-mm-dd"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return nil, err
	}
	for i, c := range t.Columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if c.width > 0 {
			if err := f.SetColWidth(sh, col, col, c.width); err != nil {
				return nil, err
			}
		}
		switch {
		case c.text:
			err = f.SetColStyle(sh, col, text)
		case strings.HasSuffix(c.Name, "日期"):
			err = f.SetColStyle(sh, col, date)
		}
		if err != nil {
			return nil, err
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellStr(sh, cell, c.Name); err != nil {
			return nil, err
		}
		st := header
		if c.Required {
			st = required
		}
		if err := f.SetCellStyle(sh, cell, cell, st); err != nil {
			return nil, err
		}
		if len(c.choices) > 0 {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, templateRows+1)
			if err := dv.SetDropList(c.choices); err != nil {
				return nil, err
			}
			dv.SetError(excelize.DataValidationErrorStyleStop, "取值无效 / invalid value", "请从下拉列表中选择 / pick a value from the list")
			if err := f.AddDataValidation(sh, dv); err != nil {
				return nil, err
			}
		}
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}

	const help = "填写说明"
	if _, err := f.NewSheet(help); err != nil {
		return nil, err
	}
	rows := [][]any{{"列名 Column", "必填 Required", "说明", "Description"}}
	for _, c := range t.Columns {
		req := "否 no"
		if c.Required {
			req = "是 yes"
		}
		rows = append(rows, []any{c.Name, req, c.Zh, c.En})
	}
	rows = append(rows, []any{}, []any{"说明 Notes", "",
		"第一行为表头，从第二行起每行一条记录；红色列名为必填列。文件中有任何一行有误则整个文件不导入，并列出每一处错误的行号、列名和原因；同一文件重复导入不会改变数据。",
		"Row 1 is the header; one record per row from row 2; red headers are required. A file with any bad row is not imported at all, and every problem is listed with its row, column and reason; importing the same file again changes nothing."})
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(help, cell, &r); err != nil {
			return nil, err
		}
	}
	if err := f.SetCellStyle(help, "A1", "D1", header); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(help, "A", "B", 20); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(help, "C", "D", 60); err != nil {
		return nil, err
	}
	f.SetActiveSheet(0)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var (
	cacheMu sync.Mutex
	cache   = map[string][]byte{}
)

// templateFile returns (and keeps) the template of a kind in a format.
func templateFile(kind core.RecordKind, ext string) ([]byte, error) {
	key := string(kind) + "." + ext
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if b, ok := cache[key]; ok {
		return b, nil
	}
	var b []byte
	var err error
	if ext == "xlsx" {
		b, err = TemplateXLSX(kind)
	} else {
		b, err = TemplateCSV(kind)
	}
	if err != nil {
		return nil, err
	}
	cache[key] = b
	return b, nil
}

// TemplateHandler serves the blank import templates at
// /templates/{kind}.xlsx and /templates/{kind}.csv (kind as in RecordKind,
// lower case: household, legal_savvy_person, mediation_case, survey,
// incident, lawsuit, culture_carrier). Templates hold no data, so no token
// is needed. Mount it with mux.Handle("GET /templates/", TemplateHandler()).
func TemplateHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := path.Base(r.URL.Path)
		base, ext, ok := strings.Cut(name, ".")
		kind, err := core.ParseRecordKind(base)
		if !ok || err != nil || base != strings.ToLower(base) || (ext != "xlsx" && ext != "csv") {
			http.NotFound(w, r)
			return
		}
		b, err := templateFile(kind, ext)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		t, _ := TemplateOf(kind)
		ctype := "text/csv; charset=utf-8"
		if ext == "xlsx" {
			ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`,
			name, url.PathEscape(t.Title+"导入模板."+ext)))
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	})
}
