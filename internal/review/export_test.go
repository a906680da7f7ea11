package review_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/objectstore"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/review"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// evaluated runs the district's survey and first review (as in the whole
// cycle) up to its evaluation.
func (f *fixture) evaluated() *core.Review {
	t := f.t
	t.Helper()
	revs, err := f.svc.Open(city, "3201", 2026)
	f.must(err)
	rv := revs[0]
	pP, err := f.db.ProposeReviewAction(town(1), postgres.ProposeInput{ReviewID: rv.ID, VillageID: f.ids[code(kP)], Kind: "revoke",
		Standards: []string{"A2"}, Explanation: "村委会原主任因职务侵占罪被判处有期徒刑"})
	f.must(err)
	pC, err := f.db.ProposeReviewAction(town(2), postgres.ProposeInput{ReviewID: rv.ID, VillageID: f.ids[code(kC)], Kind: "cancel",
		Standards: []string{"C2"}, Explanation: "2025年与相邻村合并，原村名不再保留"})
	f.must(err)
	_, err = f.db.AdvanceReview(district, postgres.AdvanceReview{ReviewID: rv.ID, To: core.StageFirstReview})
	f.must(err)
	for _, p := range []*core.ReviewProposal{pP, pC} {
		_, err = f.db.DecideReviewProposal(district, p.ID, true, "", nil)
		f.must(err)
	}
	for k := 1; k <= 60; k++ {
		switch k {
		case kP, kC:
		case kF:
			f.check(district, rv.ID, code(k), map[string]string{"B1": "fail"})
		default:
			f.check(district, rv.ID, code(k), nil)
		}
	}
	ev, err := f.svc.Evaluate(district, "320117", 2026)
	f.must(err)
	return ev[0]
}

func openXLSX(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open xlsx: %v", err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// checkLayout checks the print layout every exported sheet has.
func checkLayout(t *testing.T, x *excelize.File, sheet string, headers []string) {
	t.Helper()
	checkLayoutWidths(t, x, sheet, headers, map[string]float64{"C": 20})
}

// checkLayoutWidths checks the print layout and the widths of the columns given.
func checkLayoutWidths(t *testing.T, x *excelize.File, sheet string, headers []string, widths map[string]float64) {
	t.Helper()
	if got := x.GetSheetName(0); got != sheet {
		t.Fatalf("sheet %q, want %q", got, sheet)
	}
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[review.HeaderRow-1], headers) {
		t.Fatalf("headers %q\nwant %q", rows[review.HeaderRow-1], headers)
	}
	pl, err := x.GetPageLayout(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Orientation == nil || *pl.Orientation != "landscape" || pl.Size == nil || *pl.Size != 9 || pl.FitToWidth == nil || *pl.FitToWidth != 1 {
		t.Fatalf("page layout: orientation %v size %v fit %v, want landscape A4 (9) one page wide", deref(pl.Orientation), deref(pl.Size), deref(pl.FitToWidth))
	}
	panes, err := x.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != review.HeaderRow || panes.TopLeftCell != "A4" {
		t.Fatalf("panes %+v: want the header rows frozen", panes)
	}
	merged, err := x.GetMergeCells(sheet)
	if err != nil || len(merged) != 2 || merged[0].GetStartAxis() != "A1" {
		t.Fatalf("title rows merged: %v %v", merged, err)
	}
	titles := false
	for _, n := range x.GetDefinedName() {
		if n.Name == "_xlnm.Print_Titles" && n.RefersTo == "'"+sheet+"'!$1:$3" {
			titles = true
		}
	}
	if !titles {
		t.Fatalf("no print titles: %+v", x.GetDefinedName())
	}
	for col, want := range widths {
		if w, _ := x.GetColWidth(sheet, col); w != want {
			t.Fatalf("column %s width %v, want %v", col, w, want)
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestReviewExportTables(t *testing.T) {
	f := newFixture(t)
	rv := f.evaluated()
	// k = 3 (A2), 6 (A5), 13 (B9), 27 (B1), 44 (B10) revoked, 15 cancelled
	// (C2); 54 meet the standards, at most 51 of 120 keep their titles, so the
	// last three of the ten scoring 92 (latest title years: k = 11, 53, 41) go.
	if *rv.Revoked != 8 || *rv.Eliminated != 3 || *rv.Cancelled != 1 || *rv.Kept != 51 {
		t.Fatalf("summary %s", summary(rv))
	}

	// 附件2 as xlsx, read back.
	name, data, err := f.svc.File(district, "320117", 2026, review.TableRevocations, review.FormatXLSX)
	f.must(err)
	if name != "附件2_建议撤销省级民主法治示范村(社区)名单汇总表_溧水区_2026.xlsx" {
		t.Fatalf("file name %q", name)
	}
	x := openXLSX(t, data)
	checkLayout(t, x, "附件2", []string{"序号", "所属镇(街道)", "村(社区)名称", "区划代码", "获评批次", "情形", "说明"})
	rows, _ := x.GetRows("附件2")
	if rows[0][0] != "附件2　建议撤销省级民主法治示范村(社区)名单汇总表" || !strings.HasPrefix(rows[1][0], "填报单位：溧水区司法局（盖章）　　复核年度：2026") {
		t.Fatalf("title rows %q %q", rows[0], rows[1])
	}
	data2 := rows[review.HeaderRow:]
	var got [][]string
	for _, r := range data2 {
		got = append(got, r[:6])
	}
	want := [][]string{
		{"1", "柘塘街道", "柘塘01村", "320117002201", "第11批（2014年）", "末位淘汰（创建率超过上限）"},
		{"2", "白马镇", "白马03村", "320117006203", "第11批（2014年）", "末位淘汰（创建率超过上限）"},
		{"3", "洪蓝街道", "洪蓝01村", "320117005201", "第13批（2016年）", "末位淘汰（创建率超过上限）"},
		{"4", "永阳街道", "永阳03村", "320117001203", "第3批（2006年）", "A2 村级组织成员涉黑涉恶或因其他犯罪被追究刑事责任"},
		{"5", "永阳街道", "永阳06村", "320117001206", "第6批（2009年）", "A5 纠纷调处成功率低于90%、群众安全感低于95%，或发生民转刑、个人极端暴力案事件"},
		{"6", "柘塘街道", "柘塘03村", "320117002203", "第13批（2016年）", "B9 每户有一条家规家训"},
		{"7", "东屏街道", "东屏07村", "320117003207", "第13批（2016年）", "B1 党组织坚强有力，非软弱涣散"},
		{"8", "洪蓝街道", "洪蓝04村", "320117005204", "第2批（2005年）", "B10 每年开展国家宪法日活动"},
	}
	if len(got) != len(want) {
		t.Fatalf("附件2 has %d rows: %q", len(got), got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("附件2 row %d: %q, want %q", i+1, got[i], want[i])
		}
	}
	if !strings.Contains(data2[4][6], "纠纷调处成功率 2026：8/10 = 0.8（应>= 0.9）未达标") {
		t.Errorf("说明 of A5: %q", data2[3][6])
	}

	// 附件3 as csv: BOM, then the same rows.
	name, data, err = f.svc.File(district, "320117", 2026, review.TableCancellations, review.FormatCSV)
	f.must(err)
	if !strings.HasSuffix(name, ".csv") || !bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("csv %q starts % x", name, data[:3])
	}
	recs, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][0] != "附件3 建议注销省级民主法治示范村(社区)名单汇总表" ||
		!slices.Equal(recs[2], []string{"序号", "所属镇(街道)", "村(社区)名称", "区划代码", "获评批次", "情形", "说明"}) ||
		!slices.Equal(recs[3][:6], []string{"1", "柘塘街道", "柘塘05村", "320117002205", "第1批（2004年）", "C2 区划调整后名称不再保留或地域发生实质变化，注销"}) ||
		!strings.Contains(recs[3][6], "2025年与相邻村合并") {
		t.Fatalf("附件3 csv %q", recs)
	}

	// 附件4: the top ten, scores with two decimals.
	_, data, err = f.svc.File(district, "320117", 2026, review.TableTopTen, review.FormatXLSX)
	f.must(err)
	x = openXLSX(t, data)
	checkLayout(t, x, "附件4", []string{"序号", "所属镇(街道)", "村(社区)名称", "区划代码", "获评批次", "综合得分", "四个一", "成效指标", "现场检查", "全市排名", "说明"})
	rows, _ = x.GetRows("附件4")
	var top []string
	for _, r := range rows[review.HeaderRow:] {
		top = append(top, r[0]+" "+r[3]+" "+r[5])
	}
	wantTop := []string{"1 320117003210 100.00", "2 320117002208 100.00", "3 320117006210 100.00", "4 320117005208 100.00",
		"5 320117004206 100.00", "6 320117003204 100.00", "7 320117002202 100.00", "8 320117006204 100.00", "9 320117005202 100.00",
		"10 320117001201 98.40"}
	if !slices.Equal(top, wantTop) {
		t.Fatalf("附件4 %q", top)
	}
	// 四个一 of the tenth (lectures 4 of 5, the rest met): (0.8 + 4) / 5 = 96 points.
	if v, _ := x.GetCellValue("附件4", "G13"); v != "96.00" {
		t.Fatalf("四个一 of the tenth %q", v)
	}

	// The summary of the city: one row per district.
	_, data, err = f.svc.File(city, "3201", 2026, review.TableSummary, review.FormatCSV)
	f.must(err)
	recs, err = csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	f.must(err)
	if len(recs) != 5 || !slices.Equal(recs[3], []string{"1", "溧水区", "320117", "120", "60", "50.00%", "51", "8", "3", "1", "42.50%", "43.00%", "初核"}) ||
		!slices.Equal(recs[4][:3], []string{"2", "高淳区", "320118"}) || recs[4][3] != "" {
		t.Fatalf("summary %q", recs)
	}

	// Scope: a town cannot export its district's tables; another city neither.
	for _, ctx := range []context.Context{town(1), wuxi} {
		if _, _, err := f.svc.File(ctx, "320117", 2026, review.TableRevocations, review.FormatXLSX); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("out of scope export: %v", err)
		}
	}
}

func TestReviewExportLink(t *testing.T) {
	f := newFixture(t)
	f.evaluated()
	endpoint, ak, sk, bucket := testenv.S3Config(t)
	store, err := objectstore.New(objectstore.Config{Endpoint: endpoint, AccessKey: ak, SecretKey: sk, Bucket: bucket})
	f.must(err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f.must(store.EnsureBucket(ctx))
	f.svc.Store = store
	link, err := f.svc.Export(city, "320117", 2026, review.TableTopTen, review.FormatCSV)
	f.must(err)
	if !strings.HasPrefix(link.Key, "exports/2026/320117/4-") || link.ExpiresAt.Sub(f.db.Now()) != 300*time.Second {
		t.Fatalf("link %+v", link)
	}
	res, err := http.Get(link.URL)
	f.must(err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.HasPrefix(body, []byte("\ufeff附件4")) ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "filename*=UTF-8''") {
		t.Fatalf("download %d %q %q", res.StatusCode, res.Header.Get("Content-Disposition"), body[:min(len(body), 60)])
	}
	_, err = f.svc.Export(town(1), "320117", 2026, review.TableTopTen, review.FormatCSV)
	if core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("a town got a link: %v", err)
	}
	n := 0
	for range store.List(ctx, review.ExportPrefix) {
		n++
	}
	if n != 1 {
		t.Fatalf("%d objects under exports/", n)
	}
	removed, err := f.svc.SweepExports(ctx, -time.Hour) // everything is older than an hour from now
	f.must(err)
	if removed != 1 {
		t.Fatalf("swept %d", removed)
	}
}

// gaochunEvaluated runs 高淳区's survey and first review: its town proposes
// to cancel 淳溪04村 (C2, accepted), the district finds 淳溪03村's good-people
// list missing (B8), 淳溪01村 and 02村 keep their titles (both in the top ten).
func (f *fixture) gaochunEvaluated() {
	f.t.Helper()
	rv, _, err := f.svc.Review(gaochun, "320118", 2026)
	f.must(err)
	chunxi := actor(core.RoleTownOfficial, "32.3201.320118.320118001")
	p, err := f.db.ProposeReviewAction(chunxi, postgres.ProposeInput{ReviewID: rv.ID, VillageID: f.ids["320118001204"], Kind: "cancel",
		Standards: []string{"C2"}, Explanation: "2025年撤村设居，原村名不再保留"})
	f.must(err)
	_, err = f.db.AdvanceReview(gaochun, postgres.AdvanceReview{ReviewID: rv.ID, To: core.StageFirstReview})
	f.must(err)
	_, err = f.db.DecideReviewProposal(gaochun, p.ID, true, "", nil)
	f.must(err)
	f.check(gaochun, rv.ID, "320118001201", nil)
	f.check(gaochun, rv.ID, "320118001202", nil)
	f.check(gaochun, rv.ID, "320118001203", map[string]string{"B8": "fail"})
	_, err = f.svc.Evaluate(gaochun, "320118", 2026)
	f.must(err)
}

// withDistrict is a district's table as the city's table shows it: the
// district's name after 序号, and 附件2 and 附件3 numbered through (next is the
// number before the district's first row).
func withDistrict(rows [][]string, district string, renumber bool, next int) [][]string {
	var out [][]string
	for i, r := range rows {
		r = slices.Insert(slices.Clone(r), 1, district)
		if renumber {
			r[0] = strconv.Itoa(next + i + 1)
		}
		out = append(out, r)
	}
	return out
}

func TestReviewExportCityTables(t *testing.T) {
	f := newFixture(t)
	f.evaluated()
	headers2 := []string{"序号", review.DistrictHeader, "所属镇(街道)", "村(社区)名称", "区划代码", "获评批次", "情形", "说明"}
	headers4 := []string{"序号", review.DistrictHeader, "所属镇(街道)", "村(社区)名称", "区划代码", "获评批次", "综合得分", "四个一", "成效指标", "现场检查", "全市排名", "说明"}

	// Before 高淳区 is evaluated, the city's 附件2 holds 溧水区's rows and says which district is missing.
	_, data, err := f.svc.File(city, "3201", 2026, review.TableRevocations, review.FormatCSV)
	f.must(err)
	if !bytes.HasPrefix(data, []byte(review.BOM)) {
		t.Fatalf("no BOM: % x", data[:3])
	}
	recs, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll() // every record as wide as the table
	f.must(err)
	if len(recs) != 3+8 || !slices.Equal(recs[2], headers2) || recs[3][1] != "溧水区" || recs[10][1] != "溧水区" ||
		!regexp.MustCompile(`^填报单位：南京市司法局（盖章）　　复核年度：2026　　评估时间：\d{4}-\d{2}-\d{2}（尚未评估：高淳区）$`).MatchString(recs[1][0]) {
		t.Fatalf("附件2 of the city before 高淳区 is evaluated: %q", recs)
	}

	f.gaochunEvaluated()
	f.exec(`UPDATE reviews rv SET evaluated_at = x.at::timestamptz FROM regions r,
		(VALUES ('320117', '2026-07-28 16:00+08'), ('320118', '2026-07-30 09:00+08')) x(code, at)
		WHERE r.id = rv.region_id AND r.code = x.code`)
	subtitle := "填报单位：南京市司法局（盖章）　　复核年度：2026　　评估时间：2026-07-28 至 2026-07-30"
	// Each district's own table, as the district exports it.
	own := func(tb review.Table) (lishui, gc [][]string) {
		for _, d := range []struct {
			ctx  context.Context
			code string
			rows *[][]string
		}{{district, "320117", &lishui}, {gaochun, "320118", &gc}} {
			_, data, err := f.svc.File(d.ctx, d.code, 2026, tb, review.FormatCSV)
			f.must(err)
			recs, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
			f.must(err)
			*d.rows = recs[3:]
		}
		return lishui, gc
	}

	// 附件2 as xlsx: the districts by code, each as its own table, numbered through.
	name, data, err := f.svc.File(city, "3201", 2026, review.TableRevocations, review.FormatXLSX)
	f.must(err)
	if name != "附件2_建议撤销省级民主法治示范村(社区)名单汇总表_南京市_2026.xlsx" {
		t.Fatalf("file name %q", name)
	}
	x := openXLSX(t, data)
	checkLayoutWidths(t, x, "附件2", headers2, map[string]float64{"A": 6, "B": 14, "C": 14, "D": 20, "E": 15, "F": 13, "G": 34, "H": 60})
	if merged, _ := x.GetMergeCells("附件2"); merged[0].GetEndAxis() != "H1" || merged[1].GetEndAxis() != "H2" {
		t.Fatalf("title rows not merged across the table: %v", merged)
	}
	rows, _ := x.GetRows("附件2")
	if rows[0][0] != "附件2　建议撤销省级民主法治示范村(社区)名单汇总表" || rows[1][0] != subtitle {
		t.Fatalf("title rows %q %q", rows[0], rows[1])
	}
	lishui, gc := own(review.TableRevocations)
	want := append(withDistrict(lishui, "溧水区", true, 0), withDistrict(gc, "高淳区", true, len(lishui))...)
	got := rows[review.HeaderRow:]
	if len(lishui) != 8 || len(gc) != 1 || len(got) != len(want) {
		t.Fatalf("附件2 of the city has %d rows (溧水区 %d, 高淳区 %d): %q", len(got), len(lishui), len(gc), got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("附件2 row %d: %q\nwant %q", i+1, got[i], want[i])
		}
	}
	if !slices.Equal(got[0][:7], []string{"1", "溧水区", "柘塘街道", "柘塘01村", "320117002201", "第11批（2014年）", "末位淘汰（创建率超过上限）"}) ||
		!slices.Equal(got[8][:7], []string{"9", "高淳区", "淳溪街道", "淳溪03村", "320118001203", "第5批（2008年）", "B8 设立好人榜"}) {
		t.Fatalf("附件2 rows %q, %q", got[0], got[8])
	}

	// 附件3 as csv.
	name, data, err = f.svc.File(city, "3201", 2026, review.TableCancellations, review.FormatCSV)
	f.must(err)
	if name != "附件3_建议注销省级民主法治示范村(社区)名单汇总表_南京市_2026.csv" || !bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("csv %q starts % x", name, data[:3])
	}
	recs, err = csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	f.must(err)
	if len(recs) != 5 || recs[0][0] != "附件3 建议注销省级民主法治示范村(社区)名单汇总表" || recs[1][0] != subtitle || !slices.Equal(recs[2], headers2) ||
		!slices.Equal(recs[3][:7], []string{"1", "溧水区", "柘塘街道", "柘塘05村", "320117002205", "第1批（2004年）", "C2 区划调整后名称不再保留或地域发生实质变化，注销"}) ||
		!slices.Equal(recs[4][:7], []string{"2", "高淳区", "淳溪街道", "淳溪04村", "320118001204", "第5批（2008年）", "C2 区划调整后名称不再保留或地域发生实质变化，注销"}) ||
		!strings.Contains(recs[4][7], "2025年撤村设居") {
		t.Fatalf("附件3 of the city %q", recs)
	}
	cityCancellations := recs[3:]

	// 附件4: each district's top ten by its rank, scores with two decimals in the shifted columns.
	_, data, err = f.svc.File(city, "3201", 2026, review.TableTopTen, review.FormatXLSX)
	f.must(err)
	x = openXLSX(t, data)
	checkLayoutWidths(t, x, "附件4", headers4, map[string]float64{"A": 6, "B": 14, "C": 14, "D": 20, "G": 10, "H": 9, "K": 9, "L": 30})
	rows, _ = x.GetRows("附件4")
	lishui, gc = own(review.TableTopTen)
	want = append(withDistrict(lishui, "溧水区", false, 0), withDistrict(gc, "高淳区", false, 0)...)
	got = rows[review.HeaderRow:]
	if len(got) != 12 || len(want) != 12 {
		t.Fatalf("附件4 of the city %q", got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("附件4 row %d: %q\nwant %q", i+1, got[i], want[i])
		}
	}
	var top []string
	for _, r := range got {
		top = append(top, r[0]+" "+r[1]+" "+r[4]+" "+r[6])
	}
	if !slices.Equal(top[9:], []string{"10 溧水区 320117001201 98.40", "1 高淳区 320118001201 100.00", "2 高淳区 320118001202 100.00"}) {
		t.Fatalf("附件4 of the city %q", top)
	}
	// 四个一 of 溧水区's tenth moved from G to H with its two decimals.
	if v, _ := x.GetCellValue("附件4", "H13"); v != "96.00" {
		t.Fatalf("四个一 of the tenth %q", v)
	}

	// Scope: 锡山区 (another city) opens and evaluates its review too (its one
	// titled village is over the cap). The province's table has all three
	// districts by code; the city's never shows 锡山区.
	xishan := actor(core.RoleDistrictAdmin, "32.3202.320205")
	revs, err := f.svc.Open(xishan, "320205", 2026)
	f.must(err)
	_, err = f.db.AdvanceReview(xishan, postgres.AdvanceReview{ReviewID: revs[0].ID, To: core.StageFirstReview})
	f.must(err)
	_, err = f.svc.Evaluate(xishan, "320205", 2026)
	f.must(err)
	_, data, err = f.svc.File(province, "32", 2026, review.TableRevocations, review.FormatCSV)
	f.must(err)
	recs, err = csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	f.must(err)
	var districts []string
	for _, r := range recs[3:] {
		districts = append(districts, r[0]+" "+r[1])
	}
	if !strings.HasPrefix(recs[1][0], "填报单位：江苏省司法厅（盖章）　　复核年度：2026　　评估时间：2026-07-28 至 ") ||
		len(districts) != 10 || districts[8] != "9 高淳区" || districts[9] != "10 锡山区" || recs[12][4] != "320205001201" {
		t.Fatalf("附件2 of the province %q", recs)
	}
	_, data, err = f.svc.File(city, "3201", 2026, review.TableCancellations, review.FormatCSV)
	f.must(err)
	recs, err = csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	f.must(err)
	if !slices.EqualFunc(recs[3:], cityCancellations, slices.Equal) {
		t.Fatalf("附件3 of the city changed: %q", recs)
	}
	_, data, err = f.svc.File(city, "3201", 2026, review.TableRevocations, review.FormatCSV)
	f.must(err)
	if bytes.Contains(data, []byte("锡山区")) || bytes.Contains(data, []byte("320205")) {
		t.Fatalf("the city's table shows another city's district")
	}
	// A district or a town cannot export its city's table, nor another city; an area with no review has no table.
	for _, c := range []struct {
		ctx  context.Context
		area string
	}{{district, "3201"}, {gaochun, "3201"}, {town(1), "3201"}, {wuxi, "3201"}, {wuxi, "32"}, {city, "3202"}} {
		if _, _, err := f.svc.File(c.ctx, c.area, 2026, review.TableRevocations, review.FormatXLSX); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("export of %s: %v", c.area, err)
		}
	}
	if _, _, err := f.svc.File(city, "3201", 2025, review.TableTopTen, review.FormatXLSX); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("export of a year without reviews: %v", err)
	}
}
