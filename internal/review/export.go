package review

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// The tables the district files (附件2, 附件3, 附件4) and the review summary,
// laid out for printing on A4 landscape.

// Table names an exported table.
type Table string

// Tables users export.
const (
	TableRevocations   Table = "2"       // 附件2 建议撤销名单
	TableCancellations Table = "3"       // 附件3 建议注销名单
	TableTopTen        Table = "4"       // 附件4 复核排名前十位
	TableSummary       Table = "summary" // 复核情况汇总（每区一行）
)

// ParseTable reads a table name: 2, 3, 4 or summary.
func ParseTable(s string) (Table, error) {
	switch t := Table(strings.ToLower(strings.TrimSpace(s))); t {
	case TableRevocations, TableCancellations, TableTopTen, TableSummary:
		return t, nil
	}
	return "", core.Errorf(core.EINVALID, "表格应为 2、3、4 或 summary", "the table is 2, 3, 4 or summary").WithField("input", "table")
}

// Format is a file format of an export.
type Format string

// Export formats.
const (
	FormatXLSX Format = "xlsx"
	FormatCSV  Format = "csv"
)

// ParseFormat reads a format name: xlsx or csv.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatXLSX, FormatCSV:
		return f, nil
	}
	return "", core.Errorf(core.EINVALID, "格式应为 xlsx 或 csv", "the format is xlsx or csv").WithField("input", "format")
}

// Sheet is a table ready to be written: a title row, a subtitle row, the
// header row and the data.
type Sheet struct {
	Name     string // sheet name, e.g. 附件2
	Title    string
	Subtitle string
	Headers  []string
	Widths   []float64 // column widths in characters
	Rows     [][]any   // string, int or float64 cells
	Decimal  []bool    // columns shown with two decimals
	FileBase string    // file name without extension
}

// HeaderRow is the sheet row of the column headers (title and subtitle above it).
const HeaderRow = 3

func batchText(r *core.ReviewResult) string {
	if r.Batch == nil {
		return fmt.Sprintf("%d年", r.TitleYear)
	}
	return fmt.Sprintf("第%d批（%d年）", *r.Batch, r.TitleYear)
}

// causesText lists the standards behind a revocation or cancellation.
func causesText(codes []string) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		if st, ok := core.StandardByCode(c); ok {
			if st.Family == "E" {
				parts[i] = st.Zh
			} else {
				parts[i] = c + " " + st.Zh
			}
		} else {
			parts[i] = c
		}
	}
	return strings.Join(parts, "；")
}

func pct(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v*100, 'f', 2, 64) + "%"
}

func num(v *float64) any {
	if v == nil {
		return ""
	}
	return *v
}

func intOr(v *int) any {
	if v == nil {
		return ""
	}
	return *v
}

// BuildSheet reads the table of the year's review in the caller's scope:
// 附件2-4 of a district, or of every district of a city or province in one
// table (see areaSheet); the summary of any area.
func (s *Service) BuildSheet(ctx context.Context, areaCode string, year int, t Table) (*Sheet, error) {
	if t == TableSummary {
		return s.summarySheet(ctx, areaCode, year)
	}
	area, err := s.area(ctx, areaCode)
	if err != nil {
		return nil, err
	}
	if area.Level < core.LevelDistrict {
		return s.areaSheet(ctx, area, year, t)
	}
	rv, err := s.reviewOf(ctx, area, year)
	if err != nil {
		return nil, err
	}
	sub := fmt.Sprintf("填报单位：%s司法局（盖章）　　复核年度：%d　　评估时间：", area.Name, year)
	if rv.EvaluatedAt != nil {
		sub += rv.EvaluatedAt.In(shanghai).Format("2006-01-02")
	} else {
		sub += "尚未评估"
	}
	sh := &Sheet{Subtitle: sub}
	f := sh.setTable(t)
	rows, _, err := s.DB.ReviewResults(ctx, rv.ID, f, 0, -1)
	if err != nil {
		return nil, err
	}
	sh.FileBase = fmt.Sprintf("%s_%s_%s_%d", sh.Name, sh.Title, area.Name, year)
	sh.Headers, sh.Widths, sh.Decimal = columns(t)
	for i, r := range rows {
		sh.Rows = append(sh.Rows, resultCells(t, i+1, r))
	}
	return sh, nil
}

// setTable names the sheet after the table (附件2, 3 or 4) and returns the
// filter of the results it lists.
func (sh *Sheet) setTable(t Table) postgres.ResultFilter {
	var f postgres.ResultFilter
	switch t {
	case TableRevocations:
		sh.Name, sh.Title = "附件2", "建议撤销省级民主法治示范村(社区)名单汇总表"
		f.Recommendation = "revoke"
	case TableCancellations:
		sh.Name, sh.Title = "附件3", "建议注销省级民主法治示范村(社区)名单汇总表"
		f.Recommendation = "cancel"
	case TableTopTen:
		sh.Name, sh.Title = "附件4", "复核排名前十位的省级民主法治示范村(社区)"
		yes := true
		f.Brand = &yes
	}
	return f
}

// columns returns the headers, widths and two-decimal columns of a district's table.
func columns(t Table) ([]string, []float64, []bool) {
	if t == TableTopTen {
		return []string{"序号", "所属镇(街道)", "村(社区)名称", "区划代码", "获评批次", "综合得分", "四个一", "成效指标", "现场检查", "全市排名", "说明"},
			[]float64{6, 14, 20, 15, 13, 10, 9, 9, 9, 9, 30},
			[]bool{false, false, false, false, false, true, true, true, true, false, false}
	}
	return []string{"序号", "所属镇(街道)", "村(社区)名称", "区划代码", "获评批次", "情形", "说明"},
		[]float64{6, 14, 20, 15, 13, 34, 60}, nil
}

// resultCells is the row of a result in a district's table; n numbers the
// rows of 附件2 and 附件3 (附件4 shows the rank in the district).
func resultCells(t Table, n int, r *core.ReviewResult) []any {
	if t == TableTopTen {
		note := "列入法治乡村建设品牌村目录"
		if r.National {
			note += "；推荐申报全国民主法治示范村(社区)"
		}
		return []any{intOr(r.RankDistrict), r.TownName, r.VillageName, r.VillageCode, batchText(r),
			num(r.Score), pctPoints(r.Compliance), pctPoints(r.Outcomes), pctPoints(r.Inspection), intOr(r.RankCity), note}
	}
	return []any{n, r.TownName, r.VillageName, r.VillageCode, batchText(r), causesText(r.Causes), r.Explanation}
}

// DistrictHeader heads the district column of a city's or province's table.
const DistrictHeader = "所属县(市、区)"

// areaSheet is 附件2, 3 or 4 of every district of a city or province (a
// region above the district) in one table: the district's layout with a
// 所属县(市、区) column after 序号; the districts by code, the rows of each
// in the order of its own table (附件2 and 附件3 numbered through the whole
// table; 附件4 shows each village's rank in its district). Only reviews and
// results in the caller's scope are read, as everywhere.
func (s *Service) areaSheet(ctx context.Context, a *core.Region, year int, t Table) (*Sheet, error) {
	rs, err := s.DB.ReviewsAt(ctx, a.Path, year)
	if err != nil {
		return nil, err
	}
	var revs []*core.Review
	var regionIDs []int64
	for _, r := range rs {
		if strings.HasPrefix(r.AreaPath, a.Path+".") {
			revs = append(revs, r)
			regionIDs = append(regionIDs, r.RegionID)
		}
	}
	noReview := core.NotFound("复核 / review").WithField("input", "areaCode")
	if len(revs) == 0 {
		return nil, noReview
	}
	regions, err := s.DB.RegionsByIDs(ctx, regionIDs)
	if err != nil {
		return nil, err
	}
	type district struct {
		rv     *core.Review
		region *core.Region
	}
	var ds []district
	for i, r := range revs {
		if regions[i] != nil {
			ds = append(ds, district{r, regions[i]})
		}
	}
	if len(ds) == 0 {
		return nil, noReview
	}
	slices.SortFunc(ds, func(x, y district) int { return strings.Compare(x.region.Code, y.region.Code) })

	ids := make([]int64, len(ds))
	names := make(map[int64]string, len(ds))
	var first, last string
	var pending []string
	for i, d := range ds {
		ids[i], names[d.rv.ID] = d.rv.ID, d.region.Name
		if d.rv.EvaluatedAt == nil {
			pending = append(pending, d.region.Name)
			continue
		}
		day := d.rv.EvaluatedAt.In(shanghai).Format("2006-01-02")
		if first == "" || day < first {
			first = day
		}
		last = max(last, day)
	}
	bureau := "司法局"
	if a.Level == core.LevelProvince {
		bureau = "司法厅"
	}
	sub := fmt.Sprintf("填报单位：%s%s（盖章）　　复核年度：%d　　评估时间：", a.Name, bureau, year)
	switch {
	case first == "":
		sub += "尚未评估"
	case first == last:
		sub += first
	default:
		sub += first + " 至 " + last
	}
	if first != "" && len(pending) > 0 {
		const listed = 5
		list := strings.Join(pending[:min(len(pending), listed)], "、")
		if len(pending) > listed {
			list += fmt.Sprintf("等%d个县(市、区)", len(pending))
		}
		sub += "（尚未评估：" + list + "）"
	}

	sh := &Sheet{Subtitle: sub}
	f := sh.setTable(t)
	rows, err := s.DB.ReviewResultsOf(ctx, ids, f)
	if err != nil {
		return nil, err
	}
	sh.FileBase = fmt.Sprintf("%s_%s_%s_%d", sh.Name, sh.Title, a.Name, year)
	headers, widths, decimal := columns(t)
	sh.Headers, sh.Widths = slices.Insert(headers, 1, DistrictHeader), slices.Insert(widths, 1, 14)
	if decimal != nil {
		sh.Decimal = slices.Insert(decimal, 1, false)
	}
	for i, r := range rows {
		sh.Rows = append(sh.Rows, slices.Insert(resultCells(t, i+1, r), 1, any(names[r.ReviewID])))
	}
	return sh, nil
}

// pctPoints shows a score part (0..1) as points out of 100.
func pctPoints(v *float64) any {
	if v == nil {
		return ""
	}
	return *v * 100
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

func (s *Service) summarySheet(ctx context.Context, areaCode string, year int) (*Sheet, error) {
	a, err := s.area(ctx, areaCode)
	if err != nil {
		return nil, err
	}
	rs, err := s.DB.ReviewsAt(ctx, a.Path, year)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.RegionID)
	}
	regions, err := s.DB.RegionsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	sh := &Sheet{Name: "复核汇总", Title: fmt.Sprintf("%d年度省级民主法治示范村(社区)复核情况汇总表", year),
		Subtitle: fmt.Sprintf("填报单位：%s　　复核年度：%d", a.Name, year),
		Headers: []string{"序号", "区(县)", "区划代码", "村(社区)总数", "复核前示范村", "复核前创建率", "建议保留", "建议撤销",
			"其中末位淘汰", "建议注销", "复核后创建率", "创建率上限", "复核阶段"},
		Widths:   []float64{6, 14, 10, 12, 12, 12, 10, 10, 12, 10, 12, 10, 10},
		FileBase: fmt.Sprintf("复核汇总_%s_%d", a.Name, year)}
	n := 0
	for i, r := range rs {
		if regions[i] == nil || !strings.HasPrefix(r.AreaPath, a.Path) {
			continue // the review of the district an area lies in (a town's), not one under it
		}
		n++
		sh.Rows = append(sh.Rows, []any{n, regions[i].Name, regions[i].Code, intOr(r.VillagesTotal), intOr(r.Titled), pct(r.RateBefore),
			intOr(r.Kept), intOr(r.Revoked), intOr(r.Eliminated), intOr(r.Cancelled), pct(r.RateAfter), pct(r.Cap), r.Stage.Zh()})
	}
	return sh, nil
}

func colName(i int) string {
	n, _ := excelize.ColumnNumberToName(i + 1)
	return n
}

// XLSX writes the sheet as a workbook laid out for printing: title and
// subtitle rows merged across the table, bold bordered headers frozen below
// them and repeated on every page, wrapped text, column widths, A4 landscape
// fitted to the page width, page numbers in the footer.
func (sh *Sheet) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sh.Name); err != nil {
		return nil, err
	}
	last := colName(len(sh.Headers) - 1)
	font := "宋体"
	titleStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16, Family: font},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	if err != nil {
		return nil, err
	}
	subStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Size: 11, Family: font},
		Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}})
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	headStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 11, Family: font}, Border: border,
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	cellStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Size: 10.5, Family: font}, Border: border,
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	decimal := "0.00"
	decStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Size: 10.5, Family: font}, Border: border, CustomNumFmt: &decimal,
		Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"}})

	if err := f.SetCellValue(sh.Name, "A1", sh.Name+"　"+sh.Title); err != nil {
		return nil, err
	}
	_ = f.MergeCell(sh.Name, "A1", last+"1")
	_ = f.SetCellStyle(sh.Name, "A1", last+"1", titleStyle)
	_ = f.SetRowHeight(sh.Name, 1, 32)
	_ = f.SetCellValue(sh.Name, "A2", sh.Subtitle)
	_ = f.MergeCell(sh.Name, "A2", last+"2")
	_ = f.SetCellStyle(sh.Name, "A2", last+"2", subStyle)
	_ = f.SetRowHeight(sh.Name, 2, 20)
	if err := f.SetSheetRow(sh.Name, fmt.Sprintf("A%d", HeaderRow), &sh.Headers); err != nil {
		return nil, err
	}
	_ = f.SetCellStyle(sh.Name, fmt.Sprintf("A%d", HeaderRow), fmt.Sprintf("%s%d", last, HeaderRow), headStyle)
	_ = f.SetRowHeight(sh.Name, HeaderRow, 30)
	for i, row := range sh.Rows {
		r := HeaderRow + 1 + i
		if err := f.SetSheetRow(sh.Name, fmt.Sprintf("A%d", r), &row); err != nil {
			return nil, err
		}
		_ = f.SetCellStyle(sh.Name, fmt.Sprintf("A%d", r), fmt.Sprintf("%s%d", last, r), cellStyle)
		for c, dec := range sh.Decimal {
			if dec {
				_ = f.SetCellStyle(sh.Name, fmt.Sprintf("%s%d", colName(c), r), fmt.Sprintf("%s%d", colName(c), r), decStyle)
			}
		}
	}
	for i, w := range sh.Widths {
		if err := f.SetColWidth(sh.Name, colName(i), colName(i), w); err != nil {
			return nil, err
		}
	}
	size, orient, one, zero, fit := 9, "landscape", 1, 0, true // 9: A4
	if err := f.SetPageLayout(sh.Name, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return nil, err
	}
	if err := f.SetSheetProps(sh.Name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return nil, err
	}
	m, mh := 0.5, 0.3
	center := true
	_ = f.SetPageMargins(sh.Name, &excelize.PageLayoutMarginsOptions{Left: &m, Right: &m, Top: &m, Bottom: &m, Header: &mh, Footer: &mh, Horizontally: &center})
	_ = f.SetHeaderFooter(sh.Name, &excelize.HeaderFooterOptions{OddFooter: "&C第 &P 页，共 &N 页"})
	if err := f.SetPanes(sh.Name, &excelize.Panes{Freeze: true, YSplit: HeaderRow, TopLeftCell: fmt.Sprintf("A%d", HeaderRow+1), ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: fmt.Sprintf("A%d", HeaderRow+1), ActiveCell: fmt.Sprintf("A%d", HeaderRow+1), Pane: "bottomLeft"}}}); err != nil {
		return nil, err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$%d", sh.Name, HeaderRow), Scope: sh.Name}); err != nil {
		return nil, err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// BOM starts every CSV so that Excel reads it as UTF-8.
const BOM = "\ufeff"

// CSV writes the sheet as UTF-8 CSV with a BOM (Excel opens it correctly):
// the title, the subtitle, the headers and the rows.
func (sh *Sheet) CSV() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(BOM)
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	// Every record has the table's width, so strict readers accept the file.
	pad := func(first string) []string {
		rec := make([]string, len(sh.Headers))
		rec[0] = first
		return rec
	}
	_ = w.Write(pad(sh.Name + " " + sh.Title))
	_ = w.Write(pad(sh.Subtitle))
	_ = w.Write(sh.Headers)
	for _, row := range sh.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			switch x := v.(type) {
			case float64:
				if i < len(sh.Decimal) && sh.Decimal[i] {
					rec[i] = strconv.FormatFloat(x, 'f', 2, 64)
				} else {
					rec[i] = strconv.FormatFloat(x, 'f', -1, 64)
				}
			default:
				rec[i] = fmt.Sprint(x)
			}
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// File builds the table as a file of the format: its name and content.
func (s *Service) File(ctx context.Context, areaCode string, year int, t Table, f Format) (string, []byte, error) {
	sh, err := s.BuildSheet(ctx, areaCode, year, t)
	if err != nil {
		return "", nil, err
	}
	return sh.File(f)
}

// File writes the sheet in the format: its file name and content.
func (sh *Sheet) File(f Format) (string, []byte, error) {
	var data []byte
	var err error
	if f == FormatCSV {
		data, err = sh.CSV()
	} else {
		data, err = sh.XLSX()
	}
	return sh.FileBase + "." + string(f), data, err
}

// Link is a short-lived download link to an exported file.
type Link struct {
	URL       string
	ExpiresAt time.Time
	Filename  string
	Key       string
}

// ExportPrefix is where exported files are kept in the bucket.
const ExportPrefix = "exports/"

// Export builds the table in the caller's scope, puts it in the bucket under
// exports/ and returns a presigned GET link that lives for the setting
// export.download_ttl_seconds.
func (s *Service) Export(ctx context.Context, areaCode string, year int, t Table, f Format) (*Link, error) {
	sh, err := s.BuildSheet(ctx, areaCode, year, t)
	if err != nil {
		return nil, err
	}
	name, data, err := sh.File(f)
	if err != nil {
		return nil, err
	}
	ttl, err := s.downloadTTL(ctx)
	if err != nil {
		return nil, err
	}
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	key := fmt.Sprintf("%s%d/%s/%s-%s.%s", ExportPrefix, year, areaCode, t, hex.EncodeToString(rnd), f)
	ct := "text/csv; charset=utf-8"
	if f == FormatXLSX {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	if _, err := s.Store.Put(ctx, key, bytes.NewReader(data), int64(len(data)), ct); err != nil {
		return nil, err
	}
	url, err := s.Store.PresignGet(ctx, key, name, ttl)
	if err != nil {
		return nil, err
	}
	if err := s.DB.AuditExport(ctx, "review.export", areaCode, map[string]any{"table": string(t), "format": string(f),
		"year": year, "area": areaCode, "rows": len(sh.Rows), "filename": name, "key": key}); err != nil {
		return nil, err
	}
	return &Link{URL: url, ExpiresAt: s.DB.Now().Add(ttl), Filename: name, Key: key}, nil
}

// SweepExports removes exported files older than age (their links expired
// long before); it returns how many it removed.
func (s *Service) SweepExports(ctx context.Context, age time.Duration) (int, error) {
	cutoff := time.Now().Add(-age) // the storage's clock, not the application's

	n := 0
	for info, err := range s.Store.List(ctx, ExportPrefix) {
		if err != nil {
			return n, err
		}
		if info.LastModified.Before(cutoff) {
			if err := s.Store.Remove(ctx, info.Key); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
