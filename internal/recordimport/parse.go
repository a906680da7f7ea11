package recordimport

import (
	"fmt"
	"strconv"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Limits of an import file.
const (
	MaxRows          = 100_000   // data rows in one file
	MaxErrors        = 1000      // row errors listed
	MaxFileBytes     = 50 << 20  // size of the file
	MaxUnzippedBytes = 512 << 20 // an .xlsx file unzipped (guards against zip bombs)
)

// Parsed is a checked import file, ready for the writer of its kind.
type Parsed struct {
	Kind       core.RecordKind
	File       postgres.ImportFile
	Households []postgres.HouseholdRow
	LegalSavvy []postgres.LegalSavvyRow
	Mediation  []postgres.MediationRow
	Surveys    []postgres.SurveyRow
	Incidents  []postgres.IncidentRow
	Lawsuits   []postgres.LawsuitRow
	Carriers   []postgres.CarrierRow
	// Rows is the number of data rows.
	Rows int
}

// Parse reads and checks an import file of the kind (.xlsx or UTF-8 CSV,
// told apart by content). File-level problems (format, encoding, a missing
// or unknown column, no data) give an IMPORT_REJECTED error at once. Problems
// of cells are collected in Parsed.File.Errors (every one, up to MaxErrors),
// so the writer can add the problems only the database can see (an unknown
// village, group or grid) before rejecting the file whole.
func Parse(kind core.RecordKind, data []byte) (*Parsed, error) {
	tmpl, ok := TemplateOf(kind)
	if !ok {
		return nil, core.Errorf(core.EINVALID, "记录类型无效", "invalid record kind").WithField("input", "kind")
	}
	if len(data) > MaxFileBytes {
		return nil, core.Errorf(core.ETOOLARGE, "文件超过 %d MB 的上限", "the file is over %d MB", MaxFileBytes>>20)
	}
	t, err := readTable(data)
	if err != nil {
		return nil, err
	}
	s := &sheet{t: t, tmpl: tmpl, idx: map[string]int{}, today: period.DateOf(now())}
	if err := s.checkHeader(); err != nil {
		return nil, err
	}
	p := &Parsed{Kind: kind}
	p.File.VillageCol, p.File.GroupCol, p.File.GridCol = ColVillage, ColGroup, ColGrid
	p.File.Present = map[string]bool{}
	for _, c := range tmpl.Columns {
		if c.db != "" && s.has(c.Name) {
			p.File.Present[c.db] = true
		}
	}
	keys := map[string]int{}
	dup := func(r tableRow, col, key, zh, en string) {
		if first, ok := keys[key]; ok {
			s.add(r.line, col, fmt.Sprintf("与第 %d 行重复（%s）", first, zh), fmt.Sprintf("duplicates line %d (%s)", first, en))
			return
		}
		keys[key] = r.line
	}
	for _, r := range t.rows {
		if r.blank() {
			continue
		}
		p.Rows++
		s.bad = false
		base := postgres.ImportRow{Line: r.line, VillageCode: s.villageCode(r)}
		switch kind {
		case core.RecordHousehold:
			h := postgres.HouseholdRow{ImportRow: base,
				Code:     s.text(r, ColHousehold, postgres.MaxHouseholdCode, true),
				HeadName: s.text(r, ColHeadName, postgres.MaxPersonName, false),
				Phone:    s.phone(r, ColPhone),
				Group:    s.text(r, ColGroup, 100, false),
				Grid:     s.text(r, ColGrid, 100, false),
				Members:  s.integer(r, ColMembers, 0, postgres.MaxMembers, false),
				// 学法用法示范户 is named for a year that has begun.
				ModelHouseholdYear: s.integer(r, ColModelYear, 1990, s.today.Year, false),
				HasFamilyRule:      s.boolean(r, ColFamilyRule),
				WechatMember:       s.boolean(r, ColWechat),
				VolunteerYears:     s.years(r, ColVolunteer),
			}
			if h.VillageCode != "" && h.Code != "" {
				dup(r, ColHousehold, h.VillageCode+"\x00"+h.Code, "同一村(社区)的户号 "+h.Code, "household number "+h.Code+" of the same village")
			}
			p.Households = append(p.Households, h)
		case core.RecordLegalSavvyPerson:
			l := postgres.LegalSavvyRow{ImportRow: base,
				Grid:  s.text(r, ColGrid, 100, true),
				Name:  s.text(r, ColName, postgres.MaxPersonName, true),
				Phone: s.phone(r, ColPhone),
			}
			if d := s.date(r, ColTrainedOn, false, true); d != "" {
				l.TrainedOn = &d
			}
			l.ActiveFrom = s.date(r, ColActiveFrom, true, false)
			if d := s.date(r, ColActiveTo, false, false); d != "" {
				l.ActiveTo = &d
				if l.ActiveFrom != "" && d < l.ActiveFrom {
					s.add(r.line, ColActiveTo, "任职截止日期早于起始日期", "the end date is before the start date")
				}
			}
			if l.VillageCode != "" && l.Grid != "" && l.Name != "" {
				dup(r, ColName, l.VillageCode+"\x00"+l.Grid+"\x00"+l.Name, "同一网格的 "+l.Name, l.Name+" of the same grid")
			}
			p.LegalSavvy = append(p.LegalSavvy, l)
		case core.RecordMediationCase:
			m := postgres.MediationRow{ImportRow: base,
				CaseNo:         s.text(r, ColCaseNo, postgres.MaxCaseNo, true),
				ReceivedOn:     s.date(r, ColReceivedOn, true, true),
				TurnedCriminal: s.boolean(r, ColCriminal),
				Parties:        s.text(r, ColParties, postgres.MaxParties, false),
				Summary:        s.text(r, ColSummary, postgres.MaxSummary, false),
				Outcome:        core.OutcomePending,
			}
			concluded := s.date(r, ColConcludedOn, false, true)
			if s.raw(r, ColOutcome) != "" {
				m.Outcome, _ = choice(s, r, ColOutcome, outcomeLabels, []string{"成功", "不成功", "调处中"})
			}
			switch {
			case m.Outcome == core.OutcomePending && concluded != "":
				s.add(r.line, ColOutcome, "填写了办结日期，调处结果应为 成功 或 不成功", "a conclusion date is given: the outcome must be 成功 or 不成功")
			case m.Outcome != core.OutcomePending && m.Outcome != "" && concluded == "" && s.raw(r, ColConcludedOn) == "":
				s.add(r.line, ColConcludedOn, "已办结的案件须填写办结日期", "a concluded case needs its conclusion date")
			case concluded != "" && m.ReceivedOn != "" && concluded < m.ReceivedOn:
				s.add(r.line, ColConcludedOn, "办结日期早于受理日期", "the conclusion date is before the date received")
			}
			if concluded != "" {
				m.ConcludedOn = &concluded
			}
			if m.VillageCode != "" && m.CaseNo != "" {
				dup(r, ColCaseNo, m.VillageCode+"\x00"+m.CaseNo, "同一村(社区)的案件编号 "+m.CaseNo, "case number "+m.CaseNo+" of the same village")
			}
			p.Mediation = append(p.Mediation, m)
		case core.RecordSurvey:
			v := postgres.SurveyRow{ImportRow: base}
			v.Kind, _ = choice(s, r, ColSurveyKind, surveyLabels, []string{"群众安全感", "说事平台满意度"})
			per, perOK := s.periodCell(r, ColPeriod)
			v.SurveyedOn = s.date(r, ColSurveyedOn, true, true)
			resp := s.integer(r, ColRespondents, 1, postgres.MaxRespondents, true)
			pos := s.integer(r, ColPositive, 0, postgres.MaxRespondents, true)
			if perOK {
				v.Period = per.String()
				if v.SurveyedOn != "" && v.SurveyedOn < per.FirstDay().String() {
					s.add(r.line, ColSurveyedOn, fmt.Sprintf("调查日期早于所调查期间的开始（%s）", per.FirstDay()),
						fmt.Sprintf("the survey date is before the period surveyed starts (%s)", per.FirstDay()))
				}
			}
			if resp != nil && pos != nil {
				v.Respondents, v.Positive = *resp, *pos
				if *pos > *resp {
					s.add(r.line, ColPositive, fmt.Sprintf("肯定回答人数（%d）多于受访人数（%d）", *pos, *resp),
						fmt.Sprintf("positive answers (%d) exceed respondents (%d)", *pos, *resp))
				}
			}
			if v.VillageCode != "" && v.Kind != "" && perOK {
				dup(r, ColPeriod, v.VillageCode+"\x00"+string(v.Kind)+"\x00"+v.Period,
					"同一村(社区)同一类型 "+v.Period+" 的调查", "a survey of the same village, kind and period "+v.Period)
			}
			p.Surveys = append(p.Surveys, v)
		case core.RecordIncident:
			i := postgres.IncidentRow{ImportRow: base}
			i.Kind, _ = choice(s, r, ColIncidentKind, incidentLabels, []string{"民转刑", "个人极端暴力案事件", "村级组织违法侵权",
				"成员被追诉", "重大案件或事故", "群体访或群体性事件", "其他情形"})
			i.OccurredOn = s.date(r, ColOccurredOn, true, true)
			i.SourceDepartment = s.text(r, ColDepartment, postgres.MaxDepartment, true)
			i.Description = s.text(r, ColDescription, postgres.MaxSummary, false)
			if i.VillageCode != "" && i.Kind != "" && i.OccurredOn != "" && i.SourceDepartment != "" {
				dup(r, ColIncidentKind, i.VillageCode+"\x00"+string(i.Kind)+"\x00"+i.OccurredOn+"\x00"+i.SourceDepartment,
					"同一村(社区)、类型、日期和来源部门的案事件", "an incident of the same village, kind, date and department")
			}
			p.Incidents = append(p.Incidents, i)
		case core.RecordLawsuit:
			l := postgres.LawsuitRow{ImportRow: base}
			if y := s.integer(r, ColYear, 1990, s.today.Year, true); y != nil {
				l.Year = *y
			}
			if n := s.integer(r, ColCivil, 0, postgres.MaxLawsuits, true); n != nil {
				l.Civil = *n
			}
			if n := s.integer(r, ColAdministrative, 0, postgres.MaxLawsuits, true); n != nil {
				l.Administrative = *n
			}
			l.SourceDepartment = s.text(r, ColDepartment, postgres.MaxDepartment, false)
			if l.VillageCode != "" && l.Year != 0 {
				dup(r, ColYear, l.VillageCode+"\x00"+strconv.Itoa(l.Year), "同一村(社区)的 "+strconv.Itoa(l.Year)+" 年", "the same village and year "+strconv.Itoa(l.Year))
			}
			p.Lawsuits = append(p.Lawsuits, l)
		case core.RecordCultureCarrier:
			c := postgres.CarrierRow{ImportRow: base}
			c.Kind, _ = choice(s, r, ColCarrierKind, carrierLabels, []string{"法治院落", "法治广场", "法治长廊", "法治宣传栏", "电子显示屏", "法治公园", "法治书屋", "其他"})
			c.Name = s.text(r, ColCarrierName, postgres.MaxCarrierName, true)
			if c.VillageCode != "" && c.Kind != "" && c.Name != "" {
				dup(r, ColCarrierName, c.VillageCode+"\x00"+string(c.Kind)+"\x00"+c.Name, "同一村(社区)同类同名的载体", "a carrier of the same village, kind and name")
			}
			p.Carriers = append(p.Carriers, c)
		}
	}
	if p.Rows == 0 {
		return nil, fileError(1, "", "文件只有表头，没有数据行", "the file has a header but no data rows")
	}
	p.File.Errors = s.errs
	if s.omitted > 0 {
		p.File.Errors = append(p.File.Errors, core.RowError{Zh: fmt.Sprintf("另有 %d 处错误未列出", s.omitted),
			En: fmt.Sprintf("%d more errors not listed", s.omitted)})
	}
	return p, nil
}

// checkHeader maps the header to the template's columns: every required
// column must be there, no column twice, and no column the template does not
// know (a misspelt header would otherwise be ignored silently).
func (s *sheet) checkHeader() error {
	known := map[string]bool{}
	for _, c := range s.tmpl.Columns {
		known[c.Name] = true
	}
	// A header may be as wide as the file: list at most MaxErrors problems,
	// as for the rows, so a file of unknown columns cannot fill the memory.
	var bad []core.RowError
	omitted := 0
	add := func(col, zh, en string) {
		if len(bad) >= MaxErrors {
			omitted++
			return
		}
		bad = append(bad, core.RowError{Row: 1, Column: col, Zh: zh, En: en})
	}
	for i, h := range s.t.header {
		if h == "" {
			continue
		}
		if !known[h] {
			add(h, fmt.Sprintf("无法识别的列 %s（请使用模板中的列名）", quote(h)),
				fmt.Sprintf("unknown column %s (use the template's headers)", quote(h)))
			continue
		}
		if _, dup := s.idx[h]; dup {
			add(h, "列名重复", "the column appears twice")
			continue
		}
		s.idx[h] = i
	}
	for _, c := range s.tmpl.Columns {
		if c.Required && !s.has(c.Name) {
			add(c.Name, fmt.Sprintf("缺少必填列 %s", c.Name), fmt.Sprintf("the required column %s is missing", c.Name))
		}
	}
	if s.tmpl.Kind == core.RecordMediationCase && s.has(ColConcludedOn) != s.has(ColOutcome) {
		col := ColOutcome
		if s.has(ColOutcome) {
			col = ColConcludedOn
		}
		add(col, fmt.Sprintf("“%s”和“%s”两列须同时提供", ColConcludedOn, ColOutcome),
			fmt.Sprintf("give the columns %s and %s together", ColConcludedOn, ColOutcome))
	}
	if len(bad) == 0 {
		return nil
	}
	n := len(bad) + omitted
	if omitted > 0 {
		bad = append(bad, core.RowError{Row: 1, Zh: fmt.Sprintf("表头另有 %d 处错误未列出", omitted),
			En: fmt.Sprintf("%d more problems in the header not listed", omitted)})
	}
	return &core.Error{Code: core.EIMPORT,
		Zh:      fmt.Sprintf("导入被拒绝：表头有 %d 处错误，未写入任何数据", n),
		En:      fmt.Sprintf("import rejected: %d problems in the header, nothing was written", n),
		Details: bad}
}
