package gen

import (
	"math"
	"strconv"

	"github.com/lawvillage/lawvillage/internal/divcode"
)

// The synthetic rows. Names and phone numbers are made up (户主0001,
// 1380000xxxx): no real personal data. Each generator draws every value of a
// row before deciding whether the row falls after today, so a later clock only
// adds rows and never changes earlier ones.

var regionsTable = table{name: "regions", cols: []string{"id", "code", "name", "level", "kind", "parent_id", "path", "household_count"}}

// putRegions sends the plan's regions; ids follow the plan's order (level, then code).
func putRegions(p *plan, put putFunc) error {
	ids := make(map[divcode.Code]int64, len(p.regions))
	paths := make(map[divcode.Code]string, len(p.regions))
	homes := make(map[divcode.Code]int, len(p.villages))
	for _, v := range p.villages {
		homes[v.code] = v.homes
	}
	for i, r := range p.regions {
		id := int64(i + 1)
		ids[r.Code] = id
		var parent, kind, count any
		path := string(r.Code)
		if r.ParentCode != "" {
			parent = ids[r.ParentCode]
			path = paths[r.ParentCode] + "." + path
		}
		paths[r.Code] = path
		if r.Kind != "" {
			kind = r.Kind
			count = homes[r.Code]
		}
		if err := put(id, string(r.Code), r.Name, int(r.Level), kind, parent, path, count); err != nil {
			return err
		}
	}
	return nil
}

// structureTables are written in the first transaction, in this order.
var structureTables = []struct {
	table table
	gen   func(p *plan, v *village, put putFunc) error
}{
	{table{name: "villager_groups", cols: []string{"id", "village_id", "name"}}, func(p *plan, v *village, put putFunc) error {
		unit := "村民小组"
		if v.kind == KindCommunity {
			unit = "居民小组"
		}
		for j := 1; j <= v.groups; j++ {
			if err := put(v.groupBase+int64(j), v.id, "第"+strconv.Itoa(j)+unit); err != nil {
				return err
			}
		}
		return nil
	}},
	{table{name: "grids", cols: []string{"id", "village_id", "name"}}, func(p *plan, v *village, put putFunc) error {
		for j := 1; j <= v.grids; j++ {
			if err := put(v.gridBase+int64(j), v.id, "第"+strconv.Itoa(j)+"网格"); err != nil {
				return err
			}
		}
		return nil
	}},
	{table{name: "titles", cols: []string{"id", "village_id", "level", "batch", "year", "status", "decision_document"}}, func(p *plan, v *village, put putFunc) error {
		if v.titleBatch == 0 {
			return nil
		}
		status := "retained"
		if v.revokedYear != 0 {
			status = "revoked"
		}
		return put(v.titleID, v.id, "provincial", v.titleBatch, 2004+v.titleBatch, status, awardDocument(v.titleBatch))
	}},
	{table{name: "title_events", cols: []string{"id", "title_id", "village_id", "action", "from_status", "to_status",
		"reason", "decision_document", "decided_on", "actor_name", "at"}}, func(p *plan, v *village, put putFunc) error {
		if v.titleBatch == 0 {
			return nil
		}
		year := 2004 + v.titleBatch
		awarded := day{year, 12, 20}
		if err := put(v.eventBase+1, v.titleID, v.id, "awarded", nil, "retained", nil, awardDocument(v.titleBatch),
			awarded.String(), "gen", awarded.String()+" 10:00:00+08"); err != nil {
			return err
		}
		if v.revokedYear == 0 {
			return nil
		}
		r := rngFor(p.seed, tagTitles, v.key)
		on := day{v.revokedYear, 9, 30}
		return put(v.eventBase+2, v.titleID, v.id, "status_changed", "retained", "revoked", revokeReasons[r.IntN(len(revokeReasons))],
			strconv.Itoa(v.revokedYear)+"年复核决定", on.String(), "gen", on.String()+" 10:00:00+08")
	}},
	{table{name: "legal_advisers", cols: []string{"id", "village_id", "name", "firm", "phone", "contact_card", "service_catalogue", "active_from"}}, func(p *plan, v *village, put putFunc) error {
		r := rngFor(p.seed, tagAdviser, v.key)
		name := names[r.IntN(len(names))] + "律师"
		firm := descr[r.IntN(len(descr))] + place[r.IntN(len(place))] + "律师事务所"
		from := day{p.years[0] - r.IntN(3), 1, 1}
		return put(int64(v.idx+1), v.id, name, firm, "1370000"+pad(v.idx%10000, 4), r.Float64() < 0.95,
			"法律咨询；合同审查；纠纷调解；法治讲座；法律体检", from.String())
	}},
}

func awardDocument(batch int) string {
	return "第" + strconv.Itoa(batch) + "批省级民主法治示范村(社区)命名决定"
}

var revokeReasons = []string{"调解成功率低于90%", "群众安全感低于95%", "发生民转刑案件", "村规民约不健全", "法治宣传栏未按月更新"}

var householdsTable = table{name: "households",
	cols: []string{"id", "village_id", "code", "group_id", "grid_id", "head_name", "phone", "members",
		"model_household_year", "has_family_rule", "wechat_member"},
	extra: []string{"0::integer AS volunteer_mask"}}

// putHouseholds sends the households of v; the last value is the volunteer
// mask (bit i: the household served in p.years[i]). Households are numbered
// by villager group; grids cut across groups.
func putHouseholds(p *plan, v *village, put putFunc) error {
	r := rngFor(p.seed, tagHouseholds, v.key)
	rates := make([]float64, len(p.years))
	for i := range rates {
		if r.Float64() < 0.15 {
			rates[i] = 1
		} else {
			rates[i] = uniform(r, 0.85, 0.99)
		}
	}
	first := p.years[0]
	for k := 0; k < v.homes; k++ {
		group := v.groupBase + 1 + int64(k*v.groups/v.homes)
		grid := v.gridBase + 1 + int64(r.IntN(v.grids))
		members := 1 + r.IntN(4) + r.IntN(3)
		var model any
		if r.Float64() < v.modelRate {
			if r.Float64() < 0.8 {
				model = max(1990, first-1-r.IntN(8)) // named before the years generated
			} else {
				model = p.years[r.IntN(len(p.years))]
			}
		}
		family := r.Float64() < v.familyRate
		wechat := r.Float64() < v.wechatRate
		mask := 0
		for i := range rates {
			if r.Float64() < rates[i] {
				mask |= 1 << i
			}
		}
		code := pad(k+1, 4)
		if err := put(v.homeBase+int64(k+1), v.id, code, group, grid, "户主"+code, "1380000"+pad((k+1)%10000, 4),
			members, model, family, wechat, mask); err != nil {
			return err
		}
	}
	return nil
}

// pad formats n with at least width digits.
func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// recordTables are written chunk by chunk in one stream; ids count up in the
// order of the villages.
var recordTables = []struct {
	table table
	gen   func(p *plan, v *village, id *int64, put putFunc) error
}{
	{table{name: "activities", cols: []string{"id", "village_id", "kind", "occurred_on", "title", "place", "organiser", "participants"}}, putActivities},
	{table{name: "mediation_cases", cols: []string{"id", "village_id", "case_no", "received_on", "concluded_on", "outcome",
		"turned_criminal", "parties", "summary"}}, putMediation},
	{table{name: "surveys", cols: []string{"id", "village_id", "kind", "period", "surveyed_on", "respondents", "positive"}}, putSurveys},
	{table{name: "incidents", cols: []string{"id", "village_id", "kind", "occurred_on", "source_department", "description"}}, putIncidents},
	{table{name: "lawsuits", cols: []string{"village_id", "year", "civil", "administrative", "source_department"}}, putLawsuits},
	{table{name: "culture_carriers", cols: []string{"id", "village_id", "kind", "name"}}, putCarriers},
	{table{name: "legal_savvy_persons", cols: []string{"id", "village_id", "grid_id", "name", "phone", "trained_on", "active_from"}}, putSavvy},
	{table{name: "legal_adviser_evaluations", cols: []string{"id", "village_id", "adviser_id", "year", "score", "comment"}}, putEvaluations},
	{table{name: "legal_checkups", cols: []string{"id", "village_id", "adviser_id", "held_on", "subject", "findings"}}, putCheckups},
}

var (
	lectureTopics = []string{"民法典与百姓生活", "防范电信网络诈骗", "婚姻家庭与继承", "土地承包与流转", "未成年人保护",
		"老年人权益保障", "安全生产法", "劳动合同与工资支付", "反家庭暴力法", "人民调解法"}
	cultureTitles = []string{"法治文艺演出", "法治电影放映", "法治知识竞赛", "法治主题书画展", "普法游园会", "法治故事会"}
	serviceTitles = []string{"普法志愿服务：入户宣传", "普法志愿服务：集市法律咨询", "普法志愿服务：法律援助宣传",
		"普法志愿服务：防诈骗宣传", "普法志愿服务：关爱留守老人"}
	places     = []string{"村(居)委会会议室", "新时代文明实践站", "法治文化广场", "党群服务中心", "村民活动室"}
	organisers = []string{"村(居)民委员会", "镇(街道)司法所", "村(居)法律顾问", "普法志愿者服务队"}
)

// putActivities sends a village's activities: a lecture and a board update
// most months, a culture activity most quarters, a responsibility list and a
// Constitution Day event most years, and 4-12 volunteer services a year. The
// village's skip rates decide how often it misses one.
func putActivities(p *plan, v *village, id *int64, put putFunc) error {
	r := rngFor(p.seed, tagActivities, v.key)
	emit := func(kind string, on day, title string) error {
		pl, org := places[r.IntN(len(places))], organisers[r.IntN(len(organisers))]
		participants := 15 + r.IntN(136)
		if on.after(p.today) {
			return nil
		}
		*id++
		return put(*id, v.id, kind, on.String(), title, pl, org, participants)
	}
	for _, y := range p.years {
		ys := strconv.Itoa(y)
		if r.Float64() >= v.listSkip {
			if err := emit("responsibility_list", randomDay(r, y, 1, 3), ys+"年度普法责任清单"); err != nil {
				return err
			}
		}
		for m := 1; m <= 12; m++ {
			skip, extra := r.Float64() < v.lectureSkip, r.Float64() < 0.1
			if !skip {
				for n := 0; n < 1+b2i(extra); n++ {
					if err := emit("lecture", randomDay(r, y, m, m), "法治讲座："+lectureTopics[r.IntN(len(lectureTopics))]); err != nil {
						return err
					}
				}
			}
			if r.Float64() >= v.boardSkip {
				if err := emit("board_update", randomDay(r, y, m, m), ys+"年"+strconv.Itoa(m)+"月法治宣传栏更新"); err != nil {
					return err
				}
			}
		}
		for q := 0; q < 4; q++ {
			skip, extra := r.Float64() < v.cultureSkip, r.Float64() < 0.2
			if skip {
				continue
			}
			for n := 0; n < 1+b2i(extra); n++ {
				if err := emit("culture_activity", randomDay(r, y, 3*q+1, 3*q+3), cultureTitles[r.IntN(len(cultureTitles))]); err != nil {
					return err
				}
			}
		}
		services := 4 + r.IntN(9)
		for n := 0; n < services; n++ {
			if err := emit("volunteer_service", randomDay(r, y, 1, 12), serviceTitles[r.IntN(len(serviceTitles))]); err != nil {
				return err
			}
		}
		if r.Float64() >= v.dayskip {
			on := day{y, 12, 4}
			if r.Float64() < 0.2 {
				on.d = 1 + r.IntN(10)
			}
			if err := emit("constitution_day", on, ys+"年国家宪法日主题活动"); err != nil {
				return err
			}
		}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

var disputes = []string{"邻里纠纷", "婚姻家庭纠纷", "土地承包经营纠纷", "宅基地纠纷", "劳务报酬纠纷", "损害赔偿纠纷", "物业服务纠纷", "赡养纠纷"}

// putMediation sends 10-30 cases a year (the village's rate ± 3): concluded
// 1-45 days after they are received, 1 % pending (and every case not
// concluded by today: about 2 % in all), success at the village's rate, and about one in two
// thousand turned criminal (民转刑).
func putMediation(p *plan, v *village, id *int64, put putFunc) error {
	r := rngFor(p.seed, tagMediation, v.key)
	for _, y := range p.years {
		n := max(0, v.casesPerYear+r.IntN(7)-3)
		for k := 1; k <= n; k++ {
			recv := randomDay(r, y, 1, 12)
			concl := addDays(recv, 1+r.IntN(45))
			pending := r.Float64() < 0.01
			ok := r.Float64() < v.success
			criminal := r.Float64() < 0.0005
			summary := disputes[r.IntN(len(disputes))]
			if recv.after(p.today) {
				continue
			}
			outcome, concluded := "failure", any(concl.String())
			if ok {
				outcome = "success"
			}
			if pending || concl.after(p.today) {
				outcome, concluded = "pending", nil
			}
			*id++
			if err := put(*id, v.id, strconv.Itoa(y)+"-"+pad(k, 3), recv.String(), concluded, outcome, criminal,
				"当事人甲；当事人乙", summary); err != nil {
				return err
			}
		}
	}
	return nil
}

// putSurveys sends a sense-of-safety survey each quarter (in its last month)
// and a deliberation-satisfaction survey each year (in December), with 50-200
// respondents answering positively at about the village's rate.
func putSurveys(p *plan, v *village, id *int64, put putFunc) error {
	r := rngFor(p.seed, tagSurveys, v.key)
	survey := func(kind, per string, on day, rate float64) error {
		resp := 50 + r.IntN(151)
		pos := min(resp, int(math.Round(float64(resp)*min(1, rate+uniform(r, -0.015, 0.015)))))
		if on.after(p.today) {
			return nil
		}
		*id++
		return put(*id, v.id, kind, per, on.String(), resp, pos)
	}
	for _, y := range p.years {
		ys := strconv.Itoa(y)
		for q := 1; q <= 4; q++ {
			on := day{y, 3 * q, 10 + r.IntN(16)}
			if err := survey("safety", ys+"-Q"+strconv.Itoa(q), on, v.safety); err != nil {
				return err
			}
		}
		if err := survey("deliberation_satisfaction", ys, day{y, 12, 10 + r.IntN(11)}, v.deliberation); err != nil {
			return err
		}
	}
	return nil
}

var incidentKinds = []struct {
	kind, source string
	chance       float64 // per village and year
}{
	{"extreme_violence", "公安局", 0.003},
	{"civil_to_criminal", "公安局", 0.002},
	{"mass_petition", "信访局", 0.002},
	{"major_case_or_accident", "应急管理局", 0.001},
	{"member_prosecuted", "检察院", 0.0005},
}

// putIncidents sends the rare incidents partner departments report.
func putIncidents(p *plan, v *village, id *int64, put putFunc) error {
	r := rngFor(p.seed, tagIncidents, v.key)
	for _, y := range p.years {
		for _, k := range incidentKinds {
			hit, on := r.Float64() < k.chance, randomDay(r, y, 1, 12)
			if !hit || on.after(p.today) {
				continue
			}
			*id++
			if err := put(*id, v.id, k.kind, on.String(), k.source, "生成数据"); err != nil {
				return err
			}
		}
	}
	return nil
}

// putLawsuits sends the residents' lawsuits of each year: in three villages of
// four they fall every year, elsewhere they wander.
func putLawsuits(p *plan, v *village, _ *int64, put putFunc) error {
	r := rngFor(p.seed, tagLawsuits, v.key)
	n := v.lawsuitBase
	for i, y := range p.years {
		if i > 0 {
			if v.lawsuitsDecline {
				next := int(float64(n) * uniform(r, 0.78, 0.95))
				if next >= n && n > 0 {
					next = n - 1
				}
				n = next
			} else {
				n = max(0, int(float64(n)*uniform(r, 0.85, 1.2)+0.5))
			}
		}
		admin := r.IntN(4)
		if err := put(v.id, y, n, admin, "法院"); err != nil {
			return err
		}
	}
	return nil
}

var carrierKinds = []struct{ kind, name string }{
	{"courtyard", "法治文化庭院"}, {"square", "法治文化广场"}, {"corridor", "法治长廊"}, {"board", "法治宣传栏"},
	{"screen", "法治电子显示屏"}, {"park", "法治主题公园"}, {"library", "法治书屋"}, {"other", "法治文化墙"},
}

// putCarriers sends 4-7 kinds of culture carriers (so a few villages have
// fewer than the five required).
func putCarriers(p *plan, v *village, id *int64, put putFunc) error {
	r := rngFor(p.seed, tagCarriers, v.key)
	n := 4 + r.IntN(4)
	perm := r.Perm(len(carrierKinds))[:n]
	for _, i := range perm {
		*id++
		if err := put(*id, v.id, carrierKinds[i].kind, carrierKinds[i].name); err != nil {
			return err
		}
	}
	return nil
}

// putSavvy sends one or two legal-savvy persons per grid; a grid has none at
// the village's chance (small in most villages). Most were appointed before
// the years generated, some during them.
func putSavvy(p *plan, v *village, id *int64, put putFunc) error {
	r := rngFor(p.seed, tagSavvy, v.key)
	no := 0
	for j := 1; j <= v.grids; j++ {
		none, two := r.Float64() < v.savvyNone, r.Float64() < 0.15
		if none {
			continue
		}
		for k := 0; k < 1+b2i(two); k++ {
			var from day
			if r.Float64() < 0.8 {
				from = day{p.years[0] - 1 - r.IntN(3), 1 + r.IntN(12), 1}
			} else {
				from = randomDay(r, p.years[r.IntN(len(p.years))], 1, 12)
			}
			trained := addDays(from, 10+r.IntN(60))
			no++
			if from.after(p.today) {
				continue
			}
			var tr any = trained.String()
			if trained.after(p.today) {
				tr = nil
			}
			*id++
			if err := put(*id, v.id, v.gridBase+int64(j), "明白人"+pad(no, 3), "1390000"+pad(no, 4), tr, from.String()); err != nil {
				return err
			}
		}
	}
	return nil
}

// putEvaluations sends the legal adviser's evaluation of each finished year.
func putEvaluations(p *plan, v *village, id *int64, put putFunc) error {
	r := rngFor(p.seed, tagAdviser, v.key^0xe7a1)
	for _, y := range p.years {
		score := math.Round(uniform(r, 72, 99.5)*100) / 100
		if (day{y, 12, 31}).after(p.today) {
			continue
		}
		comment := "合格"
		if score >= 90 {
			comment = "优秀"
		}
		*id++
		if err := put(*id, v.id, int64(v.idx+1), y, strconv.FormatFloat(score, 'f', 2, 64), comment); err != nil {
			return err
		}
	}
	return nil
}

var checkupSubjects = []string{"村规民约合法性审查", "集体经济合同审查", "土地流转合同审查", "村务重大决策法律风险评估",
	"工程项目招投标审查", "集体资产处置审查"}

// putCheckups sends 2-4 legal check-ups a year by the village's adviser.
func putCheckups(p *plan, v *village, id *int64, put putFunc) error {
	r := rngFor(p.seed, tagCheckups, v.key)
	for _, y := range p.years {
		n := 2 + r.IntN(3)
		for k := 0; k < n; k++ {
			on := randomDay(r, y, 1, 12)
			subject := checkupSubjects[r.IntN(len(checkupSubjects))]
			advice := r.IntN(4)
			if on.after(p.today) {
				continue
			}
			findings := "未发现重大法律风险"
			if advice > 0 {
				findings = "提出修改建议" + strconv.Itoa(advice) + "条"
			}
			*id++
			if err := put(*id, v.id, int64(v.idx+1), on.String(), subject, findings); err != nil {
				return err
			}
		}
	}
	return nil
}
