package recordimport_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/recordimport"
)

// The hierarchy of apptest.TwoTownsCSV.
const (
	recTown1 = "320117001"
	recV1a   = "320117001001" // 东门社区居委会
	recV1b   = "320117001201" // 秋湖村委会
	recV2a   = "320117100201" // 白马村委会
)

// world is a running platform with the two towns, grids and groups in 秋湖村,
// and contexts acting as a few token holders.
type world struct {
	*apptest.Env
	district, town1, clerk context.Context
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := apptest.New(t)
	e.ImportCSV(t, apptest.TwoTownsCSV)
	w := &world{Env: e}
	w.district = w.as(t, core.RoleDistrictAdmin, "320117")
	w.town1 = w.as(t, core.RoleTownOfficial, recTown1)
	w.clerk = w.as(t, core.RoleVillageClerk, recV1b)
	v, err := e.DB.RegionByCode(e.System, recV1b)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"第一网格", "第二网格"} {
		if _, err := e.DB.AddGrid(e.System, v.ID, g); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []string{"第一村民小组", "第二村民小组"} {
		if _, err := e.DB.AddVillagerGroup(e.System, v.ID, g); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// as returns a context acting as a new token of the role and scope.
func (w *world) as(t *testing.T, role core.Role, scope string) context.Context {
	t.Helper()
	a, err := w.DB.Authenticate(context.Background(), w.Token(t, role, scope))
	if err != nil {
		t.Fatal(err)
	}
	return core.WithActor(context.Background(), a)
}

// count runs a count query as the system.
func (w *world) count(t *testing.T, query string) int {
	t.Helper()
	var n int
	if err := w.DB.AsSystem(context.Background(), func(tx *postgres.Tx) error { return tx.Get(&n, query) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// snapshot is every governance record and the audit trail, to show that a rejected file wrote nothing.
func (w *world) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, tbl := range []string{"households", "household_volunteer_years", "legal_savvy_persons", "mediation_cases", "surveys",
		"incidents", "lawsuits", "culture_carriers", "audit_log", "villager_groups", "grids"} {
		fmt.Fprintf(&b, "%s=%d ", tbl, w.count(t, "SELECT count(*) FROM "+tbl))
	}
	return b.String()
}

func csvFile(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

// xlsxFile builds a workbook whose first sheet holds the rows (the first is the header).
func xlsxFile(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// csvRows turns a CSV file's lines into xlsx rows of strings.
func csvRows(lines ...string) [][]any {
	out := make([][]any, len(lines))
	for i, l := range lines {
		for _, c := range strings.Split(l, ",") {
			out[i] = append(out[i], c)
		}
	}
	return out
}

func mustImport(t *testing.T, ctx context.Context, w *world, kind core.RecordKind, data []byte) postgres.ImportResult {
	t.Helper()
	res, err := recordimport.Import(ctx, w.DB, kind, bytes.NewReader(data))
	if err != nil {
		if e := core.AsError(err); e != nil {
			t.Fatalf("import %s: %v %+v", kind, err, e.Details)
		}
		t.Fatalf("import %s: %v", kind, err)
	}
	return res
}

func wantResult(t *testing.T, what string, got postgres.ImportResult, ins, upd, unch int) {
	t.Helper()
	if got.Inserted != ins || got.Updated != upd || got.Unchanged != unch {
		t.Fatalf("%s: %+v, want inserted %d updated %d unchanged %d", what, got, ins, upd, unch)
	}
}

// TestImportEachKind imports every kind from CSV, imports the same file again
// (nothing changes, not even the audit trail), then imports an .xlsx twin
// with one change (one record updated).
func TestImportEachKind(t *testing.T) {
	w := newWorld(t)
	cases := []struct {
		kind          core.RecordKind
		ctx           context.Context
		csv, changed  []string
		n             int
		table, verify string // a query that must count n rows after the first import
	}{
		{core.RecordHousehold, w.clerk,
			[]string{"村(社区)代码,户号,户主姓名,联系电话,村民小组,网格,人口数,学法用法示范户年份,有家规家训,加入法润民生群,参加普法志愿服务年份",
				recV1b + ",001,张三,13812341234,第一村民小组,第一网格,4,2024,是,是,2024、2025",
				recV1b + ",002,李四,,第二村民小组,第二网格,3,,否,是,",
				recV1b + ",003,王五,025-52345678,,,,,否,否,2025"},
			[]string{"村(社区)代码,户号,户主姓名,联系电话,村民小组,网格,人口数,学法用法示范户年份,有家规家训,加入法润民生群,参加普法志愿服务年份",
				recV1b + ",001,张三,13812341234,第一村民小组,第一网格,4,2024,是,是,2024、2025",
				recV1b + ",002,李四,,第二村民小组,第二网格,3,,否,是,",
				recV1b + ",003,王五,025-52345678,,,5,,否,否,2025"},
			3, "households", `SELECT count(*) FROM households WHERE deleted_at IS NULL`},
		{core.RecordLegalSavvyPerson, w.clerk,
			[]string{"村(社区)代码,网格,姓名,联系电话,培训日期,任职起始日期,任职截止日期",
				recV1b + ",第一网格,赵六,13900001111,2025-03-15,2025-01-01,",
				recV1b + ",第二网格,钱七,,2025/4/2,2025年1月1日,"},
			[]string{"村(社区)代码,网格,姓名,联系电话,培训日期,任职起始日期,任职截止日期",
				recV1b + ",第一网格,赵六,13900001111,2025-03-15,2025-01-01,2025-12-31",
				recV1b + ",第二网格,钱七,,2025/4/2,2025年1月1日,"},
			2, "legal_savvy_persons", `SELECT count(*) FROM legal_savvy_persons WHERE active_from = '2025-01-01'`},
		{core.RecordMediationCase, w.town1,
			[]string{"村(社区)代码,案件编号,受理日期,办结日期,调处结果,是否民转刑,当事人,案情摘要",
				recV1b + ",QH-2025-001,2025-03-01,2025-03-20,成功,否,张三、李四,宅基地纠纷",
				recV1b + ",QH-2025-002,2025-04-01,,调处中,否,王五,邻里纠纷",
				recV1a + ",DM-2025-001,2025-05-01,2025-06-01,不成功,是,赵六,债务纠纷"},
			[]string{"村(社区)代码,案件编号,受理日期,办结日期,调处结果,是否民转刑,当事人,案情摘要",
				recV1b + ",QH-2025-001,2025-03-01,2025-03-20,成功,否,张三、李四,宅基地纠纷",
				recV1b + ",QH-2025-002,2025-04-01,2025-04-30,成功,否,王五,邻里纠纷",
				recV1a + ",DM-2025-001,2025-05-01,2025-06-01,不成功,是,赵六,债务纠纷"},
			3, "mediation_cases", `SELECT count(*) FROM mediation_cases WHERE (outcome = 'pending') = (concluded_on IS NULL)`},
		{core.RecordSurvey, w.town1,
			[]string{"村(社区)代码,调查类型,调查期间,调查日期,受访人数,肯定回答人数",
				recV1b + ",群众安全感,2025,2025-12-20,200,193",
				recV1b + ",说事平台满意度,2025-Q2,2025-06-28,50,46",
				recV1a + ",群众安全感,2025年第2季度,2025-07-02,80,80"},
			[]string{"村(社区)代码,调查类型,调查期间,调查日期,受访人数,肯定回答人数",
				recV1b + ",群众安全感,2025,2025-12-20,200,190",
				recV1b + ",说事平台满意度,2025-Q2,2025-06-28,50,46",
				recV1a + ",群众安全感,2025年第2季度,2025-07-02,80,80"},
			3, "surveys", `SELECT count(*) FROM surveys WHERE period IN ('2025', '2025-Q2')`},
		{core.RecordIncident, w.district,
			[]string{"村(社区)代码,类型,发生日期,来源部门,情况说明",
				recV1b + ",民转刑,2025-08-08,公安局,邻里纠纷升级为故意伤害",
				recV2a + ",群体访或群体性事件,2025-09-09,信访局,"},
			[]string{"村(社区)代码,类型,发生日期,来源部门,情况说明",
				recV1b + ",民转刑,2025-08-08,公安局,邻里纠纷升级为故意伤害（已判决）",
				recV2a + ",群体访或群体性事件,2025-09-09,信访局,"},
			2, "incidents", `SELECT count(*) FROM incidents WHERE kind IN ('civil_to_criminal', 'mass_petition')`},
		{core.RecordLawsuit, w.district,
			[]string{"村(社区)代码,年份,民事案件数,行政案件数,来源部门",
				recV1b + ",2023,12,1,法院", recV1b + ",2024,9,0,法院", recV1b + ",2025,7,1,法院"},
			[]string{"村(社区)代码,年份,民事案件数,行政案件数,来源部门",
				recV1b + ",2023,12,1,法院", recV1b + ",2024,9,0,法院", recV1b + ",2025,6,1,法院"},
			3, "lawsuits", `SELECT count(*) FROM lawsuits WHERE source_department = '法院'`},
		{core.RecordCultureCarrier, w.clerk,
			[]string{"村(社区)代码,类型,名称",
				recV1b + ",法治广场,秋湖法治广场", recV1b + ",宣传栏,村委会门前宣传栏", recV1b + ",法治书屋,农家书屋"},
			[]string{"村(社区)代码,类型,名称",
				recV1b + ",法治广场,秋湖法治广场", recV1b + ",宣传栏,村委会门前宣传栏", recV1b + ",法治书屋,农家书屋",
				recV1b + ",电子显示屏,党群服务中心大屏"},
			3, "culture_carriers", `SELECT count(*) FROM culture_carriers`},
	}
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			res := mustImport(t, c.ctx, w, c.kind, csvFile(c.csv...))
			wantResult(t, "first import", res, c.n, 0, 0)
			if got := w.count(t, c.verify); got != c.n {
				t.Fatalf("%s after import: %d rows match, want %d", c.table, got, c.n)
			}
			before := w.snapshot(t)
			res = mustImport(t, c.ctx, w, c.kind, csvFile(c.csv...))
			wantResult(t, "same file again", res, 0, 0, c.n)
			if after := w.snapshot(t); after != before {
				t.Fatalf("re-import changed data:\n%s\n%s", before, after)
			}
			// The .xlsx twin with one change (a row changed, or one more carrier).
			res = mustImport(t, c.ctx, w, c.kind, xlsxFile(t, csvRows(c.changed...)))
			if c.kind == core.RecordCultureCarrier {
				wantResult(t, "xlsx with a new row", res, 1, 0, c.n)
			} else {
				wantResult(t, "xlsx with one change", res, 0, 1, c.n-1)
			}
			res = mustImport(t, c.ctx, w, c.kind, xlsxFile(t, csvRows(c.changed...)))
			if res.Inserted != 0 || res.Updated != 0 {
				t.Fatalf("xlsx again: %+v", res)
			}
		})
	}

	t.Run("HouseholdDetails", func(t *testing.T) {
		v, _ := w.DB.RegionByCode(w.System, recV1b)
		hs, _, err := w.DB.Households(w.clerk, v.ID, postgres.HouseholdFilter{}, postgres.Page{First: 10})
		if err != nil || len(hs) != 3 {
			t.Fatalf("households: %d %v", len(hs), err)
		}
		h := hs[0]
		if h.Code != "001" || h.HeadName != "张三" || h.Phone != "13812341234" || h.Members == nil || *h.Members != 4 ||
			h.ModelHouseholdYear == nil || *h.ModelHouseholdYear != 2024 || !h.HasFamilyRule || !h.WechatMember || h.GroupID == nil || h.GridID == nil {
			t.Fatalf("household 001: %+v", h)
		}
		years, err := w.DB.VolunteerYearsByHouseholds(w.clerk, []int64{hs[0].ID, hs[1].ID, hs[2].ID})
		if err != nil || !slices.Equal(years[0], []int{2024, 2025}) || len(years[1]) != 0 || !slices.Equal(years[2], []int{2025}) {
			t.Fatalf("volunteer years: %v %v", years, err)
		}
		if hs[2].Members == nil || *hs[2].Members != 5 || hs[2].Version != 2 {
			t.Fatalf("household 003 after the xlsx change: %+v", hs[2])
		}
	})

	t.Run("AbsentColumnsKeepValues", func(t *testing.T) {
		// A file with only the phone column changes phones and nothing else.
		res := mustImport(t, w.clerk, w, core.RecordHousehold, csvFile("村(社区)代码,户号,联系电话", recV1b+",001,13900009999", recV1b+",002,"))
		wantResult(t, "phones only", res, 0, 1, 1)
		v, _ := w.DB.RegionByCode(w.System, recV1b)
		hs, _, _ := w.DB.Households(w.clerk, v.ID, postgres.HouseholdFilter{}, postgres.Page{First: 1})
		if hs[0].Phone != "13900009999" || hs[0].HeadName != "张三" || hs[0].GroupID == nil || !hs[0].HasFamilyRule {
			t.Fatalf("household 001 after a phones-only file: %+v", hs[0])
		}
	})

	t.Run("DeletedHouseholdComesBack", func(t *testing.T) {
		v, _ := w.DB.RegionByCode(w.System, recV1b)
		hs, _, _ := w.DB.Households(w.clerk, v.ID, postgres.HouseholdFilter{}, postgres.Page{First: 10})
		if _, err := w.DB.DeleteHousehold(w.clerk, hs[1].ID, "录入错误"); err != nil {
			t.Fatal(err)
		}
		res := mustImport(t, w.clerk, w, core.RecordHousehold, csvFile("村(社区)代码,户号,户主姓名", recV1b+",002,李四"))
		wantResult(t, "revive", res, 0, 1, 0)
		if n, _ := w.DB.CountHouseholds(w.clerk, v.ID, postgres.HouseholdFilter{}); n != 3 {
			t.Fatalf("households after revival: %d", n)
		}
	})

	t.Run("AuditedPerRecord", func(t *testing.T) {
		if n := w.count(t, `SELECT count(*) FROM audit_log WHERE action = 'household.import_create'`); n != 3 {
			t.Fatalf("household.import_create audit entries: %d", n)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_log WHERE action = 'household.import' AND object_type = 'record_import'`); n < 2 {
			t.Fatalf("household import summaries: %d", n)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_log WHERE action = 'survey.import_update' AND before->>'positive' = '193' AND after->>'positive' = '190'`); n != 1 {
			t.Fatalf("survey update audit with before and after: %d", n)
		}
	})
}

// rowErr is what a test expects of one bad row.
type rowErr struct {
	row int
	col string
}

func wantRejected(t *testing.T, err error, want ...rowErr) {
	t.Helper()
	e := core.AsError(err)
	if e == nil || e.Code != core.EIMPORT {
		t.Fatalf("error = %v, want IMPORT_REJECTED", err)
	}
	var got []rowErr
	for _, d := range e.Details {
		if d.Zh == "" || d.En == "" {
			t.Fatalf("row error without both messages: %+v", d)
		}
		got = append(got, rowErr{d.Row, d.Column})
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Fatalf("row errors %+v lack row %d column %q", e.Details, w.row, w.col)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("row errors %+v, want exactly %+v", e.Details, want)
	}
}

// TestImportBadRows: every kind of bad row is reported with its line and
// column, all problems of a file at once, and nothing is written.
func TestImportBadRows(t *testing.T) {
	w := newWorld(t)
	hh := "村(社区)代码,户号,户主姓名,联系电话,村民小组,网格,人口数,学法用法示范户年份,有家规家训,加入法润民生群"
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(csvFile(hh, recV1b+",001,张三,,,,3,,是,否"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ctx  context.Context
		kind core.RecordKind
		data []byte
		want []rowErr
	}{
		{"UnknownVillageCode", w.clerk, core.RecordHousehold, csvFile(hh, recV1b+",001,张三,,,,3,,是,否", "320117001999,002,李四,,,,3,,是,否"),
			[]rowErr{{3, recordimport.ColVillage}}},
		{"VillageOutsideScope", w.town1, core.RecordHousehold, csvFile(hh, recV1b+",001,张三,,,,3,,是,否", recV2a+",002,李四,,,,3,,是,否"),
			[]rowErr{{3, recordimport.ColVillage}}},
		{"NotAVillageCode", w.clerk, core.RecordHousehold, csvFile(hh, recTown1+",001,张三,,,,3,,是,否", "3.20117E+11,002,李四,,,,3,,是,否"),
			[]rowErr{{2, recordimport.ColVillage}, {3, recordimport.ColVillage}}},
		{"BadNumber", w.clerk, core.RecordHousehold, csvFile(hh, recV1b+",001,张三,,,,四,,是,否", recV1b+",002,李四,,,,-1,,是,否"),
			[]rowErr{{2, recordimport.ColMembers}, {3, recordimport.ColMembers}}},
		{"BadBoolean", w.clerk, core.RecordHousehold, csvFile(hh, recV1b+",001,张三,,,,3,,可能,否"),
			[]rowErr{{2, recordimport.ColFamilyRule}}},
		{"BadPhone", w.clerk, core.RecordHousehold, csvFile(hh, recV1b+",001,张三,电话号码,,,3,,是,否"),
			[]rowErr{{2, recordimport.ColPhone}}},
		{"UnknownGroupAndGrid", w.clerk, core.RecordHousehold, csvFile(hh, recV1b+",001,张三,,第九组,第九网格,3,,是,否"),
			[]rowErr{{2, recordimport.ColGroup}, {2, recordimport.ColGrid}}},
		{"DuplicateKey", w.clerk, core.RecordHousehold, csvFile(hh, recV1b+",001,张三,,,,3,,是,否", recV1b+",002,李四,,,,3,,是,否", recV1b+",001,王五,,,,3,,是,否"),
			[]rowErr{{4, recordimport.ColHousehold}}},
		{"MissingRequiredColumn", w.clerk, core.RecordHousehold, csvFile("村(社区)代码,户主姓名", recV1b+",张三"),
			[]rowErr{{1, recordimport.ColHousehold}}},
		{"UnknownColumn", w.clerk, core.RecordHousehold, csvFile("村(社区)代码,户号,户主名", recV1b+",001,张三"),
			[]rowErr{{1, "户主名"}}},
		{"WrongEncoding", w.clerk, core.RecordHousehold, gbk, []rowErr{{1, ""}}},
		{"EmptyRequiredCell", w.clerk, core.RecordHousehold, csvFile(hh, recV1b+",,张三,,,,3,,是,否"),
			[]rowErr{{2, recordimport.ColHousehold}}},
		{"BadDate", w.clerk, core.RecordMediationCase, csvFile("村(社区)代码,案件编号,受理日期,办结日期,调处结果",
			recV1b+",A1,2025-13-40,,", recV1b+",A2,2025-03-01,2025-02-01,成功", recV1b+",A3,2099-01-01,,"),
			[]rowErr{{2, recordimport.ColReceivedOn}, {3, recordimport.ColConcludedOn}, {4, recordimport.ColReceivedOn}}},
		{"OutcomeWithoutDate", w.clerk, core.RecordMediationCase, csvFile("村(社区)代码,案件编号,受理日期,办结日期,调处结果",
			recV1b+",A1,2025-03-01,,成功", recV1b+",A2,2025-03-01,2025-03-05,", recV1b+",A3,2025-03-01,,大概"),
			[]rowErr{{2, recordimport.ColConcludedOn}, {3, recordimport.ColOutcome}, {4, recordimport.ColOutcome}}},
		{"PositiveOverRespondents", w.clerk, core.RecordSurvey, csvFile("村(社区)代码,调查类型,调查期间,调查日期,受访人数,肯定回答人数",
			recV1b+",群众安全感,2025,2025-12-20,100,101", recV1b+",安全感指数,2025-13,2025-12-20,0,0"),
			[]rowErr{{2, recordimport.ColPositive}, {3, recordimport.ColSurveyKind}, {3, recordimport.ColPeriod}, {3, recordimport.ColRespondents}}},
		{"SurveyBeforeItsPeriod", w.clerk, core.RecordSurvey, csvFile("村(社区)代码,调查类型,调查期间,调查日期,受访人数,肯定回答人数",
			recV1b+",群众安全感,2025-Q3,2025-06-30,100,99"),
			[]rowErr{{2, recordimport.ColSurveyedOn}}},
		{"UnknownIncidentKind", w.district, core.RecordIncident, csvFile("村(社区)代码,类型,发生日期,来源部门",
			recV1b+",打架,2025-05-05,公安局", recV1b+",民转刑,2025-05-05,"),
			[]rowErr{{2, recordimport.ColIncidentKind}, {3, recordimport.ColDepartment}}},
		{"LawsuitYearAndCounts", w.district, core.RecordLawsuit, csvFile("村(社区)代码,年份,民事案件数,行政案件数",
			recV1b+",1980,1,1", recV1b+",2025,x,1", recV1b+",2024,1,1", recV1b+",2024,2,2"),
			[]rowErr{{2, recordimport.ColYear}, {3, recordimport.ColCivil}, {5, recordimport.ColYear}}},
		{"LegalSavvyUnknownGrid", w.clerk, core.RecordLegalSavvyPerson, csvFile("村(社区)代码,网格,姓名,任职起始日期",
			recV1b+",第九网格,赵六,2025-01-01", recV1b+",第一网格,,2025-01-01"),
			[]rowErr{{2, recordimport.ColGrid}, {3, recordimport.ColName}}},
		{"CarrierKind", w.clerk, core.RecordCultureCarrier, csvFile("村(社区)代码,类型,名称", recV1b+",雕塑,法治雕塑"),
			[]rowErr{{2, recordimport.ColCarrierKind}}},
		{"XLSXBadCells", w.clerk, core.RecordHousehold, xlsxFile(t, [][]any{
			{"村(社区)代码", "户号", "人口数", "有家规家训"},
			{recV1b, "001", 3, "是"},
			{recV1b, "002", "三口", "是"},
			{},
			{"320117001999", "004", 2, "不知道"},
		}), []rowErr{{3, recordimport.ColMembers}, {5, recordimport.ColVillage}, {5, recordimport.ColFamilyRule}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := w.snapshot(t)
			_, err := recordimport.Import(c.ctx, w.DB, c.kind, bytes.NewReader(c.data))
			wantRejected(t, err, c.want...)
			if after := w.snapshot(t); after != before {
				t.Fatalf("a rejected file wrote data:\n%s\n%s", before, after)
			}
		})
	}

	t.Run("NoDataRows", func(t *testing.T) {
		_, err := recordimport.Import(w.clerk, w.DB, core.RecordHousehold, bytes.NewReader(csvFile(hh)))
		wantRejected(t, err, rowErr{1, ""})
	})
	t.Run("OldExcelFormat", func(t *testing.T) {
		_, err := recordimport.Import(w.clerk, w.DB, core.RecordHousehold, bytes.NewReader([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}))
		wantRejected(t, err, rowErr{1, ""})
	})
	t.Run("PartnerFactsNeedTheirPermission", func(t *testing.T) {
		_, err := recordimport.Import(w.clerk, w.DB, core.RecordIncident, bytes.NewReader(csvFile("村(社区)代码,类型,发生日期,来源部门", recV1b+",民转刑,2025-05-05,公安局")))
		if core.ErrorCode(err) != core.EFORBIDDEN {
			t.Fatalf("clerk importing incidents: %v", err)
		}
		analyst := w.as(t, core.RoleAnalystReadonly, "320117")
		_, err = recordimport.Import(analyst, w.DB, core.RecordHousehold, bytes.NewReader(csvFile(hh, recV1b+",001,张三,,,,3,,是,否")))
		if core.ErrorCode(err) != core.EFORBIDDEN {
			t.Fatalf("analyst importing households: %v", err)
		}
	})
	t.Run("BOMAndCRLF", func(t *testing.T) {
		data := append([]byte("\xEF\xBB\xBF"), []byte(strings.ReplaceAll(string(csvFile(hh, recV1b+",001,张三,,,,3,,是,否")), "\n", "\r\n"))...)
		res := mustImport(t, w.clerk, w, core.RecordHousehold, data)
		wantResult(t, "BOM and CRLF", res, 1, 0, 0)
	})
}

// TestImportHouseholds5000XLSX imports a village's 5,000 households from one
// .xlsx file in one set-based write, then the same file again.
func TestImportHouseholds5000XLSX(t *testing.T) {
	w := newWorld(t)
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	header := []any{"村(社区)代码", "户号", "户主姓名", "联系电话", "村民小组", "网格", "人口数", "学法用法示范户年份", "有家规家训", "加入法润民生群", "参加普法志愿服务年份"}
	if err := sw.SetRow("A1", header); err != nil {
		t.Fatal(err)
	}
	const n = 5000
	surnames := []rune("赵钱孙李周吴郑王冯陈")
	for i := 1; i <= n; i++ {
		var model any
		if i%20 == 0 {
			model = 2024
		}
		group := []string{"第一村民小组", "第二村民小组"}[i%2]
		grid := []string{"第一网格", "第二网格"}[i%2]
		row := []any{recV1b, fmt.Sprintf("%05d", i), string(surnames[i%10]) + "某" + fmt.Sprint(i%7), fmt.Sprintf("138%08d", i), group, grid,
			1 + i%6, model, []string{"否", "是"}[i%3/2], "是", "2025"}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("xlsx of %d households: %d bytes", n, b.Len())

	start := time.Now()
	res := mustImport(t, w.clerk, w, core.RecordHousehold, b.Bytes())
	t.Logf("first import of %d households: %v", n, time.Since(start))
	wantResult(t, "5000 households", res, n, 0, 0)
	if got := w.count(t, `SELECT count(*) FROM households WHERE deleted_at IS NULL AND group_id IS NOT NULL AND grid_id IS NOT NULL`); got != n {
		t.Fatalf("households written: %d", got)
	}
	if got := w.count(t, `SELECT count(*) FROM households WHERE model_household_year = 2024`); got != n/20 {
		t.Fatalf("model households: %d", got)
	}
	if got := w.count(t, `SELECT count(*) FROM household_volunteer_years WHERE year = 2025`); got != n {
		t.Fatalf("volunteer years: %d", got)
	}

	before := w.snapshot(t)
	start = time.Now()
	res = mustImport(t, w.clerk, w, core.RecordHousehold, b.Bytes())
	t.Logf("re-import of the same %d households: %v", n, time.Since(start))
	wantResult(t, "same 5000 again", res, 0, 0, n)
	if after := w.snapshot(t); after != before {
		t.Fatalf("re-import changed data:\n%s\n%s", before, after)
	}
}

// TestImportTemplates serves every template over HTTP, checks its header,
// and imports a downloaded .xlsx template after filling it in.
func TestImportTemplates(t *testing.T) {
	srv := httptest.NewServer(recordimport.TemplateHandler())
	defer srv.Close()
	get := func(path string) (*http.Response, []byte) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	for _, tmpl := range recordimport.Templates() {
		res, b := get(recordimport.XLSXPath(tmpl.Kind))
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("%s.xlsx: %d %s", tmpl.Kind, res.StatusCode, res.Header.Get("Content-Type"))
		}
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s.xlsx does not open: %v", tmpl.Kind, err)
		}
		rows, _ := f.GetRows(f.GetSheetList()[0])
		f.Close()
		var names []string
		for _, c := range tmpl.Columns {
			names = append(names, c.Name)
		}
		if len(rows) != 1 || !slices.Equal(rows[0], names) {
			t.Fatalf("%s.xlsx rows: %v, want only the header %v", tmpl.Kind, rows, names)
		}
		res, b = get(recordimport.CSVPath(tmpl.Kind))
		if res.StatusCode != 200 || string(b) != "\xEF\xBB\xBF"+strings.Join(names, ",")+"\r\n" {
			t.Fatalf("%s.csv: %d %q", tmpl.Kind, res.StatusCode, b)
		}
	}
	for _, p := range []string{"/templates/nothing.xlsx", "/templates/household.xls", "/templates/HOUSEHOLD.csv", "/templates/household"} {
		if res, _ := get(p); res.StatusCode != 404 {
			t.Fatalf("%s: %d, want 404", p, res.StatusCode)
		}
	}

	t.Run("FilledTemplateImports", func(t *testing.T) {
		w := newWorld(t)
		_, b := get(recordimport.XLSXPath(core.RecordMediationCase))
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		sh := f.GetSheetList()[0]
		received := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		row := []any{recV1b, "QH-2025-009", received, received.AddDate(0, 0, 10), "成功", "否", "张三、李四", "宅基地纠纷"}
		if err := f.SetSheetRow(sh, "A2", &row); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := f.Write(&out); err != nil {
			t.Fatal(err)
		}
		f.Close()
		res := mustImport(t, w.clerk, w, core.RecordMediationCase, out.Bytes())
		wantResult(t, "filled template", res, 1, 0, 0)
		if n := w.count(t, `SELECT count(*) FROM mediation_cases WHERE received_on = '2025-03-01' AND concluded_on = '2025-03-11' AND outcome = 'success'`); n != 1 {
			t.Fatalf("case with Excel dates: %d", n)
		}
		// The blank template is rejected: it has no data rows.
		_, err = recordimport.Import(w.clerk, w.DB, core.RecordMediationCase, bytes.NewReader(b))
		wantRejected(t, err, rowErr{1, ""})
	})
}
