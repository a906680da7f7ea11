package graph_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/core"
)

// Tests of the governance records over GraphQL. The hierarchy is
// apptest.TwoTownsCSV: 永阳街道 (320117001) with 东门社区 and 秋湖村, 白马镇
// (320117100) with 白马村 and 石头寨村.
const (
	recDistrict = "320117"
	recTown1    = "320117001"
	recTown2    = "320117100"
	recV1a      = "320117001001"
	recV1b      = "320117001201"
	recV2a      = "320117100201"
)

// recH is a platform with tokens of every kind of reader and writer.
type recH struct {
	*apptest.Env
	admin, town1, town2, clerk, clerkV1a, partner, analyst string
	v1b, v1a                                               string // village global IDs
}

func newRecH(t *testing.T) *recH {
	t.Helper()
	e := apptest.New(t)
	e.ImportCSV(t, apptest.TwoTownsCSV)
	h := &recH{Env: e,
		admin:    e.Token(t, core.RoleDistrictAdmin, recDistrict),
		town1:    e.Token(t, core.RoleTownOfficial, recTown1),
		town2:    e.Token(t, core.RoleTownOfficial, recTown2),
		clerk:    e.Token(t, core.RoleVillageClerk, recV1b),
		clerkV1a: e.Token(t, core.RoleVillageClerk, recV1a),
		partner:  e.Token(t, core.RolePartnerReadonly, recDistrict),
		analyst:  e.Token(t, core.RoleAnalystReadonly, recDistrict),
	}
	var d struct {
		A, B struct{ ID string }
	}
	h.query(t, h.admin, `query($a: DivisionCode!, $b: DivisionCode!) { a: village(code: $a) { id } b: village(code: $b) { id } }`,
		map[string]any{"a": recV1a, "b": recV1b}, &d)
	h.v1a, h.v1b = d.A.ID, d.B.ID
	return h
}

// query runs a request that must succeed without errors.
func (h *recH) query(t testing.TB, token, q string, vars map[string]any, out any) {
	t.Helper()
	r := h.Do(t, token, q, vars)
	if r.Status != http.StatusOK {
		t.Fatalf("HTTP %d: %+v", r.Status, r.Errors)
	}
	r.Decode(t, out)
}

type recUserError struct {
	Field     []string
	Message   string
	MessageEn string
	Code      string
}

// payload runs a mutation and returns its payload (data[name]) and user errors.
func (h *recH) payload(t testing.TB, token, name, q string, vars map[string]any) (json.RawMessage, []recUserError) {
	t.Helper()
	r := h.Do(t, token, q, vars)
	var m map[string]json.RawMessage
	r.Decode(t, &m)
	var p struct{ UserErrors []recUserError }
	if err := json.Unmarshal(m[name], &p); err != nil {
		t.Fatalf("decode %s: %v", m[name], err)
	}
	for _, ue := range p.UserErrors {
		if ue.Message == "" || ue.MessageEn == "" {
			t.Fatalf("user error without both messages: %+v", ue)
		}
	}
	return m[name], p.UserErrors
}

// mut runs a mutation that must succeed and decodes its payload into out.
func (h *recH) mut(t testing.TB, token, name, q string, vars map[string]any, out any) {
	t.Helper()
	raw, ues := h.payload(t, token, name, q, vars)
	if len(ues) > 0 {
		t.Fatalf("%s: user errors %+v", name, ues)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
}

// mutFails runs a mutation that must report exactly one user error of the code.
func (h *recH) mutFails(t testing.TB, token, name, q string, vars map[string]any, code string) recUserError {
	t.Helper()
	raw, ues := h.payload(t, token, name, q, vars)
	if len(ues) != 1 || ues[0].Code != code {
		t.Fatalf("%s: user errors %+v, want one %s (payload %s)", name, ues, code, raw)
	}
	return ues[0]
}

// topFails runs a request that must fail with a top-level error of the code.
func (h *recH) topFails(t testing.TB, token, q string, vars map[string]any, code string) {
	t.Helper()
	r := h.Do(t, token, q, vars)
	if r.Code() != code {
		t.Fatalf("error code %q, want %q (errors %+v, data %s)", r.Code(), code, r.Errors, r.Data)
	}
}

const recUE = ` userErrors { field message messageEn code }`

const householdFields = `id code headName phone personalData villagerGroup { name } grid { name } members modelHouseholdYear
	hasFamilyRule wechatMember volunteerYears version village { code }`

type householdT struct {
	ID, Code, HeadName, Phone, PersonalData string
	VillagerGroup, Grid                     *struct{ Name string }
	Members, ModelHouseholdYear             *int
	HasFamilyRule, WechatMember             bool
	VolunteerYears                          []int
	Version                                 int
	Village                                 struct{ Code string }
}

const (
	qCreateHousehold = `mutation($in: CreateHouseholdInput!) { createHousehold(input: $in) { household { ` + householdFields + ` }` + recUE + ` } }`
	qUpdateHousehold = `mutation($in: UpdateHouseholdInput!) { updateHousehold(input: $in) { household { ` + householdFields + ` }` + recUE + ` } }`
	qDeleteHousehold = `mutation($in: DeleteRecordInput!) { deleteHousehold(input: $in) { household { id }` + recUE + ` } }`
	qVolunteer       = `mutation($in: SetHouseholdVolunteerInput!) { setHouseholdVolunteer(input: $in) { household { ` + householdFields + ` }` + recUE + ` } }`
	qAddGrid         = `mutation($in: AddVillagePartInput!) { addGrid(input: $in) { grid { id name } userErrors { code } } }`
	qAddGroup        = `mutation($in: AddVillagePartInput!) { addVillagerGroup(input: $in) { villagerGroup { id name } userErrors { code } } }`
)

func (h *recH) grid(t testing.TB, token, village, name string) string {
	t.Helper()
	var p struct{ Grid struct{ ID string } }
	h.mut(t, token, "addGrid", qAddGrid, map[string]any{"in": map[string]any{"villageId": village, "name": name}}, &p)
	return p.Grid.ID
}

func (h *recH) group(t testing.TB, token, village, name string) string {
	t.Helper()
	var p struct{ VillagerGroup struct{ ID string } }
	h.mut(t, token, "addVillagerGroup", qAddGroup, map[string]any{"in": map[string]any{"villageId": village, "name": name}}, &p)
	return p.VillagerGroup.ID
}

func (h *recH) household(t testing.TB, token string, in map[string]any) householdT {
	t.Helper()
	var p struct{ Household householdT }
	h.mut(t, token, "createHousehold", qCreateHousehold, map[string]any{"in": in}, &p)
	return p.Household
}

type connT[N any] struct {
	TotalCount int
	Nodes      []N
	PageInfo   struct {
		HasNextPage bool
		EndCursor   *string
	}
}

// households lists 秋湖村's households as the token sees them; vars may set first, after and filter.
func (h *recH) households(t testing.TB, token string, vars map[string]any) connT[householdT] {
	t.Helper()
	var d struct {
		Village struct{ Households connT[householdT] }
	}
	if vars == nil {
		vars = map[string]any{}
	}
	vars["code"] = recV1b
	h.query(t, token, `query($code: DivisionCode!, $first: Int, $after: String, $filter: HouseholdFilter) { village(code: $code) {
		households(first: $first, after: $after, filter: $filter) { totalCount nodes { `+householdFields+` } pageInfo { hasNextPage endCursor } } } }`, vars, &d)
	return d.Village.Households
}

func TestRecordHouseholds(t *testing.T) {
	h := newRecH(t)
	grid1 := h.grid(t, h.clerk, h.v1b, "第一网格")
	group1 := h.group(t, h.clerk, h.v1b, "第一村民小组")
	otherGroup := h.group(t, h.town1, h.v1a, "东门一组")

	a := h.household(t, h.clerk, map[string]any{"villageId": h.v1b, "code": "001", "headName": "张三", "phone": "13812341234",
		"villagerGroupId": group1, "gridId": grid1, "members": 4, "modelHouseholdYear": 2024, "hasFamilyRule": true, "wechatMember": true})
	if a.Code != "001" || a.HeadName != "张三" || a.Phone != "13812341234" || a.PersonalData != "CLEAR" || a.VillagerGroup.Name != "第一村民小组" ||
		a.Grid.Name != "第一网格" || *a.Members != 4 || *a.ModelHouseholdYear != 2024 || !a.HasFamilyRule || !a.WechatMember ||
		len(a.VolunteerYears) != 0 || a.Version != 1 || a.Village.Code != recV1b {
		t.Fatalf("created household: %+v", a)
	}
	b := h.household(t, h.clerk, map[string]any{"villageId": h.v1b, "code": "002", "headName": "李四"})
	if b.VillagerGroup != nil || b.Members != nil || b.HasFamilyRule || b.WechatMember {
		t.Fatalf("household with defaults: %+v", b)
	}

	t.Run("CreateRules", func(t *testing.T) {
		h.mutFails(t, h.clerk, "createHousehold", qCreateHousehold, map[string]any{"in": map[string]any{"villageId": h.v1b, "code": "001"}}, "CONFLICT")
		// The town sees both villages: a group of 东门社区 cannot hold a household of 秋湖村.
		ue := h.mutFails(t, h.town1, "createHousehold", qCreateHousehold, map[string]any{"in": map[string]any{"villageId": h.v1b, "code": "003",
			"villagerGroupId": otherGroup}}, "INVALID")
		if !slices.Equal(ue.Field, []string{"input", "villagerGroupId"}) {
			t.Fatalf("field of a group of another village: %v", ue.Field)
		}
		// The village's clerk cannot even see it.
		h.mutFails(t, h.clerk, "createHousehold", qCreateHousehold, map[string]any{"in": map[string]any{"villageId": h.v1b, "code": "003",
			"villagerGroupId": otherGroup}}, "NOT_FOUND")
		h.mutFails(t, h.clerk, "createHousehold", qCreateHousehold, map[string]any{"in": map[string]any{"villageId": h.v1b, "code": " "}}, "INVALID")
		h.mutFails(t, h.clerk, "createHousehold", qCreateHousehold, map[string]any{"in": map[string]any{"villageId": h.v1b, "code": "003",
			"phone": "not a phone"}}, "INVALID")
		h.mutFails(t, h.clerk, "createHousehold", qCreateHousehold, map[string]any{"in": map[string]any{"villageId": h.v1b, "code": "003",
			"modelHouseholdYear": 2099}}, "INVALID")
		// Read-only roles may not write at all.
		h.topFails(t, h.analyst, qCreateHousehold, map[string]any{"in": map[string]any{"villageId": h.v1b, "code": "009"}}, "FORBIDDEN")
	})

	t.Run("Update", func(t *testing.T) {
		h.mutFails(t, h.clerk, "updateHousehold", qUpdateHousehold, map[string]any{"in": map[string]any{"id": a.ID, "expectedVersion": 7, "phone": "1"}}, "CONFLICT")
		var p struct{ Household householdT }
		h.mut(t, h.clerk, "updateHousehold", qUpdateHousehold, map[string]any{"in": map[string]any{"id": a.ID, "expectedVersion": 1,
			"phone": "13900001111", "villagerGroupId": nil, "modelHouseholdYear": nil}}, &p)
		u := p.Household
		if u.Phone != "13900001111" || u.VillagerGroup != nil || u.ModelHouseholdYear != nil || u.Grid == nil || *u.Members != 4 ||
			u.HeadName != "张三" || u.Version != 2 {
			t.Fatalf("updated household: %+v", u)
		}
		h.mutFails(t, h.clerk, "updateHousehold", qUpdateHousehold, map[string]any{"in": map[string]any{"id": a.ID, "code": "002"}}, "CONFLICT")
		h.mut(t, h.clerk, "updateHousehold", qUpdateHousehold, map[string]any{"in": map[string]any{"id": a.ID, "modelHouseholdYear": 2024}}, nil)
	})

	t.Run("Volunteer", func(t *testing.T) {
		var p struct{ Household householdT }
		h.mut(t, h.clerk, "setHouseholdVolunteer", qVolunteer, map[string]any{"in": map[string]any{"householdId": a.ID, "year": 2025, "participated": true}}, &p)
		h.mut(t, h.clerk, "setHouseholdVolunteer", qVolunteer, map[string]any{"in": map[string]any{"householdId": a.ID, "year": 2024, "participated": true}}, &p)
		if !slices.Equal(p.Household.VolunteerYears, []int{2024, 2025}) {
			t.Fatalf("volunteer years: %v", p.Household.VolunteerYears)
		}
		h.mut(t, h.clerk, "setHouseholdVolunteer", qVolunteer, map[string]any{"in": map[string]any{"householdId": a.ID, "year": 2024, "participated": false}}, &p)
		if !slices.Equal(p.Household.VolunteerYears, []int{2025}) {
			t.Fatalf("volunteer years after removing 2024: %v", p.Household.VolunteerYears)
		}
		h.mutFails(t, h.clerk, "setHouseholdVolunteer", qVolunteer, map[string]any{"in": map[string]any{"householdId": a.ID, "year": 2099, "participated": true}}, "INVALID")
	})

	t.Run("ListAndFilter", func(t *testing.T) {
		c := h.households(t, h.clerk, map[string]any{"first": 1})
		if c.TotalCount != 2 || len(c.Nodes) != 1 || c.Nodes[0].Code != "001" || !c.PageInfo.HasNextPage {
			t.Fatalf("first page: %+v", c)
		}
		c = h.households(t, h.clerk, map[string]any{"first": 1, "after": *c.PageInfo.EndCursor})
		if len(c.Nodes) != 1 || c.Nodes[0].Code != "002" || c.PageInfo.HasNextPage {
			t.Fatalf("second page: %+v", c)
		}
		for _, f := range []struct {
			filter map[string]any
			want   []string
		}{
			{map[string]any{"volunteeredIn": 2025}, []string{"001"}},
			{map[string]any{"notVolunteeredIn": 2025}, []string{"002"}},
			{map[string]any{"modelHousehold": true}, []string{"001"}},
			{map[string]any{"wechatMember": false}, []string{"002"}},
			{map[string]any{"hasFamilyRule": true}, []string{"001"}},
			{map[string]any{"gridId": grid1}, []string{"001"}},
			{map[string]any{"villagerGroupId": group1}, nil},
		} {
			c := h.households(t, h.clerk, map[string]any{"filter": f.filter})
			var got []string
			for _, n := range c.Nodes {
				got = append(got, n.Code)
			}
			if !slices.Equal(got, f.want) || c.TotalCount != len(f.want) {
				t.Fatalf("filter %v: %v (total %d), want %v", f.filter, got, c.TotalCount, f.want)
			}
		}
		var d struct{ Node *struct{ Code string } }
		h.query(t, h.town1, `query($id: ID!) { node(id: $id) { ... on Household { code } } }`, map[string]any{"id": a.ID}, &d)
		if d.Node == nil || d.Node.Code != "001" {
			t.Fatalf("node: %+v", d.Node)
		}
	})

	t.Run("DeleteAndRecreate", func(t *testing.T) {
		h.mutFails(t, h.clerk, "deleteHousehold", qDeleteHousehold, map[string]any{"in": map[string]any{"id": b.ID, "reason": " "}}, "INVALID")
		h.mut(t, h.clerk, "deleteHousehold", qDeleteHousehold, map[string]any{"in": map[string]any{"id": b.ID, "reason": "户已迁出"}}, nil)
		h.mutFails(t, h.clerk, "deleteHousehold", qDeleteHousehold, map[string]any{"in": map[string]any{"id": b.ID, "reason": "again"}}, "NOT_FOUND")
		var d struct{ Node *struct{ Code string } }
		h.query(t, h.clerk, `query($id: ID!) { node(id: $id) { ... on Household { code } } }`, map[string]any{"id": b.ID}, &d)
		if d.Node != nil {
			t.Fatalf("deleted household still a node: %+v", d.Node)
		}
		if c := h.households(t, h.clerk, map[string]any{"first": 10}); c.TotalCount != 1 {
			t.Fatalf("households after delete: %d", c.TotalCount)
		}
		again := h.household(t, h.clerk, map[string]any{"villageId": h.v1b, "code": "002", "headName": "李四新"})
		if again.ID != b.ID || again.HeadName != "李四新" || again.Version != 3 {
			t.Fatalf("recreated household: %+v (was %+v)", again, b)
		}
	})
}

func TestMaskPersonalData(t *testing.T) {
	h := newRecH(t)
	grid := h.grid(t, h.clerk, h.v1b, "第一网格")
	a := h.household(t, h.clerk, map[string]any{"villageId": h.v1b, "code": "001", "headName": "张三", "phone": "13812341234"})
	h.mut(t, h.clerk, "addLegalSavvyPerson", `mutation($in: AddLegalSavvyPersonInput!) { addLegalSavvyPerson(input: $in) { legalSavvyPerson { id }`+recUE+` } }`,
		map[string]any{"in": map[string]any{"gridId": grid, "name": "欧阳娜娜", "phone": "025-52345678", "activeFrom": "2025-01-01"}}, nil)
	h.mut(t, h.clerk, "createMediationCase", `mutation($in: CreateMediationCaseInput!) { createMediationCase(input: $in) { mediationCase { id }`+recUE+` } }`,
		map[string]any{"in": map[string]any{"villageId": h.v1b, "caseNo": "QH-1", "receivedOn": "2025-03-01", "parties": "张三、李四"}}, nil)

	type view struct {
		Village struct {
			Households struct {
				Nodes []struct{ HeadName, Phone, PersonalData string }
			}
			LegalSavvyPersons []struct{ Name, Phone, PersonalData string }
			MediationCases    struct {
				Nodes []struct{ Parties, PersonalData string }
			}
		}
	}
	read := func(token string) view {
		var v view
		h.query(t, token, `query($code: DivisionCode!) { village(code: $code) {
			households { nodes { headName phone personalData } }
			legalSavvyPersons { name phone personalData }
			mediationCases { nodes { parties personalData } } } }`, map[string]any{"code": recV1b}, &v)
		return v
	}
	clear := view{}
	clear.Village.Households.Nodes = []struct{ HeadName, Phone, PersonalData string }{{"张三", "13812341234", "CLEAR"}}
	clear.Village.LegalSavvyPersons = []struct{ Name, Phone, PersonalData string }{{"欧阳娜娜", "025-52345678", "CLEAR"}}
	clear.Village.MediationCases.Nodes = []struct{ Parties, PersonalData string }{{"张三、李四", "CLEAR"}}
	masked := view{}
	masked.Village.Households.Nodes = []struct{ HeadName, Phone, PersonalData string }{{"张*", "138****1234", "MASKED"}}
	masked.Village.LegalSavvyPersons = []struct{ Name, Phone, PersonalData string }{{"欧***", "025-****5678", "MASKED"}}
	masked.Village.MediationCases.Nodes = []struct{ Parties, PersonalData string }{{"张*、李*", "MASKED"}}

	partnerTown := h.Token(t, core.RolePartnerReadonly, recTown1)
	city := h.Token(t, core.RoleCityOfficial, "3201")
	for _, c := range []struct {
		who, token string
		want       view
	}{
		{"village clerk", h.clerk, clear},
		{"town official", h.town1, clear},
		{"district admin", h.admin, masked},
		{"city official", city, masked},
		{"partner (district)", h.partner, masked},
		{"partner (town)", partnerTown, masked},
		{"analyst", h.analyst, masked},
	} {
		got := read(c.token)
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(c.want)
		if string(g) != string(w) {
			t.Fatalf("%s sees %s, want %s", c.who, g, w)
		}
	}

	// A district admin's own change comes back masked too; the data is not touched.
	var p struct{ Household householdT }
	h.mut(t, h.admin, "updateHousehold", qUpdateHousehold, map[string]any{"in": map[string]any{"id": a.ID, "members": 3}}, &p)
	if p.Household.HeadName != "张*" || p.Household.Phone != "138****1234" || *p.Household.Members != 3 {
		t.Fatalf("admin's update payload: %+v", p.Household)
	}
	if v := read(h.clerk); v.Village.Households.Nodes[0].HeadName != "张三" {
		t.Fatalf("clerk after the admin's update: %+v", v)
	}
	// Another village's clerk in the same town sees nothing of 秋湖村 at all.
	var d struct{ Village *struct{ Code string } }
	h.query(t, h.clerkV1a, `query($code: DivisionCode!) { village(code: $code) { code } }`, map[string]any{"code": recV1b}, &d)
	if d.Village != nil {
		t.Fatalf("another village's clerk sees 秋湖村: %+v", d.Village)
	}
}

func TestRecordScope(t *testing.T) {
	h := newRecH(t)
	grid := h.grid(t, h.clerk, h.v1b, "第一网格")
	a := h.household(t, h.clerk, map[string]any{"villageId": h.v1b, "code": "001", "headName": "张三"})
	var mc struct{ MediationCase struct{ ID string } }
	h.mut(t, h.clerk, "createMediationCase", `mutation($in: CreateMediationCaseInput!) { createMediationCase(input: $in) { mediationCase { id }`+recUE+` } }`,
		map[string]any{"in": map[string]any{"villageId": h.v1b, "caseNo": "QH-1", "receivedOn": "2025-03-01"}}, &mc)
	var sv struct{ Survey struct{ ID string } }
	h.mut(t, h.clerk, "recordSurvey", `mutation($in: RecordSurveyInput!) { recordSurvey(input: $in) { survey { id }`+recUE+` } }`,
		map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "SAFETY", "period": "2025", "surveyedOn": "2025-12-01", "respondents": 10, "positive": 10}}, &sv)
	var inc struct{ Incident struct{ ID string } }
	h.mut(t, h.admin, "recordIncident", `mutation($in: RecordIncidentInput!) { recordIncident(input: $in) { incident { id }`+recUE+` } }`,
		map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "CIVIL_TO_CRIMINAL", "occurredOn": "2025-08-08", "sourceDepartment": "公安局"}}, &inc)
	var cc struct{ CultureCarrier struct{ ID string } }
	h.mut(t, h.clerk, "addCultureCarrier", `mutation($in: AddCultureCarrierInput!) { addCultureCarrier(input: $in) { cultureCarrier { id }`+recUE+` } }`,
		map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "SQUARE", "name": "秋湖法治广场"}}, &cc)

	for _, who := range []struct{ name, token string }{{"other town", h.town2}, {"other village", h.clerkV1a}} {
		t.Run(who.name, func(t *testing.T) {
			tok := who.token
			for _, id := range []string{a.ID, mc.MediationCase.ID, sv.Survey.ID, inc.Incident.ID, cc.CultureCarrier.ID} {
				var d struct {
					Node *struct {
						Typename string `json:"__typename"`
					}
				}
				h.query(t, tok, `query($id: ID!) { node(id: $id) { __typename } }`, map[string]any{"id": id}, &d)
				if d.Node != nil {
					t.Fatalf("%s reads %s", who.name, d.Node.Typename)
				}
			}
			h.mutFails(t, tok, "updateHousehold", qUpdateHousehold, map[string]any{"in": map[string]any{"id": a.ID, "headName": "x"}}, "NOT_FOUND")
			h.mutFails(t, tok, "deleteHousehold", qDeleteHousehold, map[string]any{"in": map[string]any{"id": a.ID, "reason": "x"}}, "NOT_FOUND")
			h.mutFails(t, tok, "setHouseholdVolunteer", qVolunteer, map[string]any{"in": map[string]any{"householdId": a.ID, "year": 2025, "participated": true}}, "NOT_FOUND")
			h.mutFails(t, tok, "createHousehold", qCreateHousehold, map[string]any{"in": map[string]any{"villageId": h.v1b, "code": "099"}}, "NOT_FOUND")
			h.mutFails(t, tok, "addLegalSavvyPerson", `mutation($in: AddLegalSavvyPersonInput!) { addLegalSavvyPerson(input: $in) { legalSavvyPerson { id }`+recUE+` } }`,
				map[string]any{"in": map[string]any{"gridId": grid, "name": "x", "activeFrom": "2025-01-01"}}, "NOT_FOUND")
			h.mutFails(t, tok, "concludeMediationCase", `mutation($in: ConcludeMediationCaseInput!) { concludeMediationCase(input: $in) { mediationCase { id }`+recUE+` } }`,
				map[string]any{"in": map[string]any{"id": mc.MediationCase.ID, "outcome": "SUCCESS", "concludedOn": "2025-03-02"}}, "NOT_FOUND")
			h.mutFails(t, tok, "updateSurvey", `mutation($in: UpdateSurveyInput!) { updateSurvey(input: $in) { survey { id }`+recUE+` } }`,
				map[string]any{"in": map[string]any{"id": sv.Survey.ID, "positive": 1}}, "NOT_FOUND")
			h.mutFails(t, tok, "deleteSurvey", `mutation($in: DeleteRecordInput!) { deleteSurvey(input: $in) { deletedId`+recUE+` } }`,
				map[string]any{"in": map[string]any{"id": sv.Survey.ID, "reason": "x"}}, "NOT_FOUND")
			h.mutFails(t, tok, "removeCultureCarrier", `mutation($in: DeleteRecordInput!) { removeCultureCarrier(input: $in) { deletedId`+recUE+` } }`,
				map[string]any{"in": map[string]any{"id": cc.CultureCarrier.ID, "reason": "x"}}, "NOT_FOUND")
			h.mutFails(t, tok, "recordSurvey", `mutation($in: RecordSurveyInput!) { recordSurvey(input: $in) { survey { id }`+recUE+` } }`,
				map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "SAFETY", "period": "2024", "surveyedOn": "2024-12-01", "respondents": 1, "positive": 1}}, "NOT_FOUND")
			// An import naming 秋湖村 is rejected at that row and writes nothing.
			r := h.Upload(t, tok, qImport, map[string]any{"in": map[string]any{"kind": "HOUSEHOLD", "file": nil}}, "variables.in.file", "hh.csv",
				[]byte("村(社区)代码,户号,户主姓名\n"+recV1b+",001,改名\n"))
			p := importResult(t, r)
			if len(p.RowErrors) != 1 || p.RowErrors[0].Row != 2 || p.RowErrors[0].Column != "村(社区)代码" || p.Inserted+p.Updated != 0 {
				t.Fatalf("import into another's village: %+v", p)
			}
		})
	}
	// Nothing changed: the clerk still sees the household as it was.
	if c := h.households(t, h.clerk, map[string]any{"first": 5}); c.TotalCount != 1 || c.Nodes[0].HeadName != "张三" || c.Nodes[0].Version != 1 {
		t.Fatalf("household after the attempts: %+v", c)
	}
}

func TestRecordPeopleAndAdviser(t *testing.T) {
	h := newRecH(t)
	grid1 := h.grid(t, h.clerk, h.v1b, "第一网格")
	grid2 := h.grid(t, h.clerk, h.v1b, "第二网格")
	const qAdd = `mutation($in: AddLegalSavvyPersonInput!) { addLegalSavvyPerson(input: $in) { legalSavvyPerson { id name grid { name } activeFrom activeTo trainedOn version }` + recUE + ` } }`
	const qUpd = `mutation($in: UpdateLegalSavvyPersonInput!) { updateLegalSavvyPerson(input: $in) { legalSavvyPerson { id name grid { name } activeFrom activeTo trainedOn version }` + recUE + ` } }`
	type personT struct {
		ID, Name            string
		Grid                struct{ Name string }
		ActiveFrom          string
		ActiveTo, TrainedOn *string
		Version             int
	}
	var p struct{ LegalSavvyPerson personT }
	h.mut(t, h.clerk, "addLegalSavvyPerson", qAdd, map[string]any{"in": map[string]any{"gridId": grid1, "name": "赵六", "trainedOn": "2025-03-15", "activeFrom": "2024-01-01"}}, &p)
	zhao := p.LegalSavvyPerson
	if zhao.Grid.Name != "第一网格" || *zhao.TrainedOn != "2025-03-15" || zhao.ActiveTo != nil {
		t.Fatalf("added person: %+v", zhao)
	}
	h.mut(t, h.clerk, "addLegalSavvyPerson", qAdd, map[string]any{"in": map[string]any{"gridId": grid2, "name": "钱七", "activeFrom": "2025-01-01"}}, nil)
	h.mutFails(t, h.clerk, "addLegalSavvyPerson", qAdd, map[string]any{"in": map[string]any{"gridId": grid1, "name": "赵六", "activeFrom": "2025-01-01"}}, "CONFLICT")
	h.mutFails(t, h.clerk, "updateLegalSavvyPerson", qUpd, map[string]any{"in": map[string]any{"id": zhao.ID, "activeTo": "2023-01-01"}}, "INVALID")
	h.mut(t, h.clerk, "updateLegalSavvyPerson", qUpd, map[string]any{"in": map[string]any{"id": zhao.ID, "expectedVersion": 1, "activeTo": "2024-12-31", "trainedOn": nil}}, &p)
	if p.LegalSavvyPerson.ActiveTo == nil || *p.LegalSavvyPerson.ActiveTo != "2024-12-31" || p.LegalSavvyPerson.TrainedOn != nil || p.LegalSavvyPerson.Version != 2 {
		t.Fatalf("ended person: %+v", p.LegalSavvyPerson)
	}
	var d struct {
		Village struct {
			All, Now []struct{ Name string }
			Grids    []struct {
				Name              string
				LegalSavvyPersons []struct{ Name string }
			}
		}
	}
	h.query(t, h.town1, `query($code: DivisionCode!) { village(code: $code) { all: legalSavvyPersons { name } now: legalSavvyPersons(activeOn: "2025-06-01") { name }
		grids { name legalSavvyPersons { name } } } }`, map[string]any{"code": recV1b}, &d)
	if len(d.Village.All) != 2 || len(d.Village.Now) != 1 || d.Village.Now[0].Name != "钱七" || len(d.Village.Grids) != 2 ||
		d.Village.Grids[0].LegalSavvyPersons[0].Name != "赵六" || d.Village.Grids[1].LegalSavvyPersons[0].Name != "钱七" {
		t.Fatalf("legal-savvy lists: %+v", d.Village)
	}

	// The legal adviser: one at a time, with evaluations and check-ups.
	const qAppoint = `mutation($in: AppointLegalAdviserInput!) { appointLegalAdviser(input: $in) { legalAdviser { id name activeFrom activeTo contactCard }` + recUE + ` } }`
	type adviserT struct {
		ID, Name, ActiveFrom string
		ActiveTo             *string
		ContactCard          bool
	}
	var ap struct{ LegalAdviser adviserT }
	h.mut(t, h.clerk, "appointLegalAdviser", qAppoint, map[string]any{"in": map[string]any{"villageId": h.v1b, "name": "周律师", "firm": "溧水律师事务所",
		"phone": "025-57200000", "activeFrom": "2024-01-01"}}, &ap)
	first := ap.LegalAdviser
	h.mut(t, h.clerk, "appointLegalAdviser", qAppoint, map[string]any{"in": map[string]any{"villageId": h.v1b, "name": "吴律师", "contactCard": true,
		"serviceCatalogue": "法律咨询、合同审查", "activeFrom": "2025-01-01"}}, &ap)
	second := ap.LegalAdviser
	h.mutFails(t, h.clerk, "appointLegalAdviser", qAppoint, map[string]any{"in": map[string]any{"villageId": h.v1b, "name": "郑律师", "activeFrom": "2024-06-01"}}, "INVALID")
	h.mut(t, h.clerk, "updateLegalAdviser", `mutation($in: UpdateLegalAdviserInput!) { updateLegalAdviser(input: $in) { legalAdviser { id }`+recUE+` } }`,
		map[string]any{"in": map[string]any{"id": second.ID, "serviceCatalogue": "法律咨询、合同审查、法治讲座"}}, nil)
	const qEval = `mutation($in: EvaluateLegalAdviserInput!) { evaluateLegalAdviser(input: $in) { evaluation { year score comment }` + recUE + ` } }`
	h.mut(t, h.clerk, "evaluateLegalAdviser", qEval, map[string]any{"in": map[string]any{"adviserId": second.ID, "year": 2025, "score": 92.5, "comment": "良好"}}, nil)
	h.mut(t, h.clerk, "evaluateLegalAdviser", qEval, map[string]any{"in": map[string]any{"adviserId": second.ID, "year": 2025, "score": 95, "comment": "优秀"}}, nil)
	h.mutFails(t, h.clerk, "evaluateLegalAdviser", qEval, map[string]any{"in": map[string]any{"adviserId": second.ID, "year": 2025, "score": 101}}, "INVALID")
	const qCheckup = `mutation($in: RecordLegalCheckupInput!) { recordLegalCheckup(input: $in) { legalCheckup { id adviser { name } }` + recUE + ` } }`
	var ck struct {
		LegalCheckup struct{ Adviser *struct{ Name string } }
	}
	h.mut(t, h.clerk, "recordLegalCheckup", qCheckup, map[string]any{"in": map[string]any{"villageId": h.v1b, "heldOn": "2025-03-01", "subject": "村规民约合法性审查"}}, &ck)
	if ck.LegalCheckup.Adviser == nil || ck.LegalCheckup.Adviser.Name != "吴律师" {
		t.Fatalf("2025 check-up adviser: %+v", ck.LegalCheckup.Adviser)
	}
	h.mut(t, h.clerk, "recordLegalCheckup", qCheckup, map[string]any{"in": map[string]any{"villageId": h.v1b, "heldOn": "2024-03-01", "subject": "合同审查"}}, &ck)
	if ck.LegalCheckup.Adviser == nil || ck.LegalCheckup.Adviser.Name != "周律师" {
		t.Fatalf("2024 check-up adviser: %+v", ck.LegalCheckup.Adviser)
	}
	var v struct {
		Village struct {
			LegalAdviser *struct {
				Name, ServiceCatalogue string
				ContactCard            bool
				Evaluations            []struct {
					Year    int
					Score   float64
					Comment string
				}
			}
			LegalAdvisers []adviserT
			LegalCheckups []struct{ Subject string }
		}
	}
	h.query(t, h.admin, `query($code: DivisionCode!) { village(code: $code) {
		legalAdviser { name serviceCatalogue contactCard evaluations { year score comment } }
		legalAdvisers { id name activeFrom activeTo contactCard }
		legalCheckups(period: "2025") { subject } } }`, map[string]any{"code": recV1b}, &v)
	la := v.Village.LegalAdviser
	if la == nil || la.Name != "吴律师" || !la.ContactCard || la.ServiceCatalogue != "法律咨询、合同审查、法治讲座" || len(la.Evaluations) != 1 ||
		la.Evaluations[0].Score != 95 || la.Evaluations[0].Comment != "优秀" {
		t.Fatalf("current adviser: %+v", la)
	}
	if len(v.Village.LegalAdvisers) != 2 || v.Village.LegalAdvisers[1].ID != first.ID || *v.Village.LegalAdvisers[1].ActiveTo != "2024-12-31" ||
		v.Village.LegalAdvisers[0].ActiveTo != nil {
		t.Fatalf("advisers: %+v", v.Village.LegalAdvisers)
	}
	if len(v.Village.LegalCheckups) != 1 || v.Village.LegalCheckups[0].Subject != "村规民约合法性审查" {
		t.Fatalf("2025 check-ups: %+v", v.Village.LegalCheckups)
	}
}

const mediationFields = `id caseNo receivedOn concludedOn outcome turnedCriminal parties summary version`

type mediationT struct {
	ID, CaseNo, ReceivedOn string
	ConcludedOn            *string
	Outcome                string
	TurnedCriminal         bool
	Parties, Summary       string
	Version                int
}

func TestMediationCases(t *testing.T) {
	h := newRecH(t)
	const qCreate = `mutation($in: CreateMediationCaseInput!) { createMediationCase(input: $in) { mediationCase { ` + mediationFields + ` }` + recUE + ` } }`
	const qUpdate = `mutation($in: UpdateMediationCaseInput!) { updateMediationCase(input: $in) { mediationCase { ` + mediationFields + ` }` + recUE + ` } }`
	const qConclude = `mutation($in: ConcludeMediationCaseInput!) { concludeMediationCase(input: $in) { mediationCase { ` + mediationFields + ` }` + recUE + ` } }`
	create := func(no, received string) mediationT {
		var p struct{ MediationCase mediationT }
		h.mut(t, h.clerk, "createMediationCase", qCreate, map[string]any{"in": map[string]any{"villageId": h.v1b, "caseNo": no, "receivedOn": received,
			"parties": "张三、李四", "summary": "宅基地纠纷"}}, &p)
		return p.MediationCase
	}
	conclude := func(id string, in map[string]any) mediationT {
		var p struct{ MediationCase mediationT }
		in["id"] = id
		h.mut(t, h.clerk, "concludeMediationCase", qConclude, map[string]any{"in": in}, &p)
		return p.MediationCase
	}
	c1 := create("QH-1", "2025-03-01")
	if c1.Outcome != "PENDING" || c1.ConcludedOn != nil || c1.Version != 1 || c1.Parties != "张三、李四" {
		t.Fatalf("new case: %+v", c1)
	}
	c1 = conclude(c1.ID, map[string]any{"outcome": "SUCCESS", "concludedOn": "2025-03-10", "expectedVersion": 1})
	if c1.Outcome != "SUCCESS" || *c1.ConcludedOn != "2025-03-10" || c1.Version != 2 {
		t.Fatalf("concluded case: %+v", c1)
	}
	c2 := create("QH-2", "2025-04-01")
	c3 := create("QH-3", "2025-05-01")
	conclude(c3.ID, map[string]any{"outcome": "FAILURE", "concludedOn": "2025-05-20"})

	t.Run("Rules", func(t *testing.T) {
		h.mutFails(t, h.clerk, "createMediationCase", qCreate, map[string]any{"in": map[string]any{"villageId": h.v1b, "caseNo": "QH-1", "receivedOn": "2025-01-01"}}, "CONFLICT")
		h.mutFails(t, h.clerk, "createMediationCase", qCreate, map[string]any{"in": map[string]any{"villageId": h.v1b, "caseNo": "QH-9", "receivedOn": "2099-01-01"}}, "INVALID")
		for _, in := range []map[string]any{
			{"id": c2.ID, "outcome": "SUCCESS", "concludedOn": "2025-03-01"}, // before received
			{"id": c2.ID, "outcome": "SUCCESS"},                              // no date
			{"id": c2.ID, "outcome": "PENDING", "concludedOn": "2025-04-05"}, // pending with a date
			{"id": c2.ID, "outcome": "FAILURE", "concludedOn": "2099-04-05"}, // in the future
		} {
			ue := h.mutFails(t, h.clerk, "concludeMediationCase", qConclude, map[string]any{"in": in}, "INVALID")
			if !slices.Equal(ue.Field, []string{"input", "concludedOn"}) {
				t.Fatalf("conclude %v: field %v", in, ue.Field)
			}
		}
		h.mutFails(t, h.clerk, "concludeMediationCase", qConclude, map[string]any{"in": map[string]any{"id": c1.ID, "outcome": "FAILURE",
			"concludedOn": "2025-03-11", "expectedVersion": 1}}, "CONFLICT")
		h.mutFails(t, h.clerk, "updateMediationCase", qUpdate, map[string]any{"in": map[string]any{"id": c2.ID, "caseNo": "QH-1"}}, "CONFLICT")
		h.mutFails(t, h.clerk, "updateMediationCase", qUpdate, map[string]any{"in": map[string]any{"id": c1.ID, "receivedOn": "2025-03-20"}}, "INVALID")
	})

	t.Run("UpdateAndReopen", func(t *testing.T) {
		var p struct{ MediationCase mediationT }
		h.mut(t, h.clerk, "updateMediationCase", qUpdate, map[string]any{"in": map[string]any{"id": c3.ID, "turnedCriminal": true, "summary": "升级为故意伤害"}}, &p)
		if !p.MediationCase.TurnedCriminal || p.MediationCase.Summary != "升级为故意伤害" || p.MediationCase.Outcome != "FAILURE" {
			t.Fatalf("updated case: %+v", p.MediationCase)
		}
		r := conclude(c3.ID, map[string]any{"outcome": "PENDING"})
		if r.Outcome != "PENDING" || r.ConcludedOn != nil {
			t.Fatalf("reopened case: %+v", r)
		}
		conclude(c3.ID, map[string]any{"outcome": "FAILURE", "concludedOn": "2025-05-20"})
	})

	t.Run("List", func(t *testing.T) {
		list := func(vars map[string]any) connT[mediationT] {
			var d struct {
				Village struct{ MediationCases connT[mediationT] }
			}
			vars["code"] = recV1b
			h.query(t, h.town1, `query($code: DivisionCode!, $first: Int, $after: String, $period: Period, $outcome: MediationOutcome) { village(code: $code) {
				mediationCases(first: $first, after: $after, period: $period, outcome: $outcome) { totalCount nodes { `+mediationFields+` }
				pageInfo { hasNextPage endCursor } } } }`, vars, &d)
			return d.Village.MediationCases
		}
		nos := func(c connT[mediationT]) []string {
			var out []string
			for _, n := range c.Nodes {
				out = append(out, n.CaseNo)
			}
			return out
		}
		c := list(map[string]any{"first": 2})
		if !slices.Equal(nos(c), []string{"QH-3", "QH-2"}) || c.TotalCount != 3 || !c.PageInfo.HasNextPage {
			t.Fatalf("first page: %v %+v", nos(c), c.PageInfo)
		}
		c = list(map[string]any{"first": 2, "after": *c.PageInfo.EndCursor})
		if !slices.Equal(nos(c), []string{"QH-1"}) || c.PageInfo.HasNextPage {
			t.Fatalf("second page: %v", nos(c))
		}
		for _, f := range []struct {
			vars map[string]any
			want []string
		}{
			{map[string]any{"period": "2025-03"}, []string{"QH-1"}},
			{map[string]any{"period": "2025-Q2"}, []string{"QH-3", "QH-2"}},
			{map[string]any{"period": "2024"}, nil},
			{map[string]any{"outcome": "SUCCESS"}, []string{"QH-1"}},
			{map[string]any{"period": "2025", "outcome": "PENDING"}, []string{"QH-2"}},
		} {
			c := list(f.vars)
			if !slices.Equal(nos(c), f.want) || c.TotalCount != len(f.want) {
				t.Fatalf("%v: %v (total %d), want %v", f.vars, nos(c), c.TotalCount, f.want)
			}
		}
		h.topFails(t, h.town1, `{ village(code: "`+recV1b+`") { mediationCases(period: "2025-13") { totalCount } } }`, nil, "INVALID_PERIOD")
	})
}

func TestSurveys(t *testing.T) {
	h := newRecH(t)
	const qRecord = `mutation($in: RecordSurveyInput!) { recordSurvey(input: $in) { survey { id kind period surveyedOn respondents positive rate }` + recUE + ` } }`
	type surveyT struct {
		ID, Kind, Period, SurveyedOn string
		Respondents, Positive        int
		Rate                         float64
	}
	record := func(kind, period, on string, resp, pos int) surveyT {
		var p struct{ Survey surveyT }
		h.mut(t, h.clerk, "recordSurvey", qRecord, map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": kind, "period": period,
			"surveyedOn": on, "respondents": resp, "positive": pos}}, &p)
		return p.Survey
	}
	s := record("SAFETY", "2025", "2025-12-20", 200, 193)
	if s.Period != "2025" || s.Kind != "SAFETY" || math.Abs(s.Rate-0.965) > 1e-9 {
		t.Fatalf("survey: %+v", s)
	}
	record("DELIBERATION_SATISFACTION", "2025-q2", "2025-06-28", 50, 46)
	record("SAFETY", "2024", "2025-01-05", 100, 96)

	h.mutFails(t, h.clerk, "recordSurvey", qRecord, map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "SAFETY", "period": "2025",
		"surveyedOn": "2025-12-21", "respondents": 10, "positive": 10}}, "CONFLICT")
	ue := h.mutFails(t, h.clerk, "recordSurvey", qRecord, map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "SAFETY", "period": "2025-05",
		"surveyedOn": "2025-05-21", "respondents": 10, "positive": 11}}, "INVALID")
	if !slices.Equal(ue.Field, []string{"input", "positive"}) {
		t.Fatalf("positive > respondents: field %v", ue.Field)
	}
	h.mutFails(t, h.clerk, "recordSurvey", qRecord, map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "SAFETY", "period": "2025-05",
		"surveyedOn": "2025-04-30", "respondents": 10, "positive": 9}}, "INVALID")
	h.mutFails(t, h.clerk, "recordSurvey", qRecord, map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "SAFETY", "period": "2025-05",
		"surveyedOn": "2025-05-30", "respondents": 0, "positive": 0}}, "INVALID")
	h.topFails(t, h.clerk, qRecord, map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "SAFETY", "period": "2025-13",
		"surveyedOn": "2025-05-30", "respondents": 1, "positive": 1}}, "INVALID_PERIOD")

	list := func(args string) []string {
		var d struct{ Village struct{ Surveys []surveyT } }
		h.query(t, h.admin, `query($code: DivisionCode!) { village(code: $code) { surveys`+args+` { kind period } } }`, map[string]any{"code": recV1b}, &d)
		var out []string
		for _, s := range d.Village.Surveys {
			out = append(out, s.Kind+" "+s.Period)
		}
		return out
	}
	for _, c := range []struct {
		args string
		want []string
	}{
		{``, []string{"SAFETY 2025", "DELIBERATION_SATISFACTION 2025-Q2", "SAFETY 2024"}},
		{`(period: "2025")`, []string{"SAFETY 2025", "DELIBERATION_SATISFACTION 2025-Q2"}},
		{`(kind: SAFETY)`, []string{"SAFETY 2025", "SAFETY 2024"}},
		{`(period: "2025-Q2")`, []string{"DELIBERATION_SATISFACTION 2025-Q2"}},
		{`(kind: SAFETY, period: "2025-Q2")`, nil},
		{`(period: "2025-06")`, nil},
	} {
		if got := list(c.args); !slices.Equal(got, c.want) {
			t.Fatalf("surveys%s: %v, want %v", c.args, got, c.want)
		}
	}

	const qUpdate = `mutation($in: UpdateSurveyInput!) { updateSurvey(input: $in) { survey { id positive rate }` + recUE + ` } }`
	var p struct{ Survey surveyT }
	h.mut(t, h.clerk, "updateSurvey", qUpdate, map[string]any{"in": map[string]any{"id": s.ID, "positive": 190}}, &p)
	if p.Survey.Positive != 190 || math.Abs(p.Survey.Rate-0.95) > 1e-9 {
		t.Fatalf("updated survey: %+v", p.Survey)
	}
	h.mutFails(t, h.clerk, "updateSurvey", qUpdate, map[string]any{"in": map[string]any{"id": s.ID, "positive": 300}}, "INVALID")
	var del struct{ DeletedID *string }
	h.mut(t, h.clerk, "deleteSurvey", `mutation($in: DeleteRecordInput!) { deleteSurvey(input: $in) { deletedId`+recUE+` } }`,
		map[string]any{"in": map[string]any{"id": s.ID, "reason": "重复登记"}}, &del)
	if del.DeletedID == nil || *del.DeletedID != s.ID {
		t.Fatalf("deleted: %+v", del)
	}
	if got := list(`(kind: SAFETY)`); !slices.Equal(got, []string{"SAFETY 2024"}) {
		t.Fatalf("after delete: %v", got)
	}
}

func TestRecordPartnerFacts(t *testing.T) {
	h := newRecH(t)
	const qIncident = `mutation($in: RecordIncidentInput!) { recordIncident(input: $in) { incident { id kind occurredOn sourceDepartment description village { code } }` + recUE + ` } }`
	in := map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "CIVIL_TO_CRIMINAL", "occurredOn": "2025-08-08", "sourceDepartment": "公安局",
		"description": "邻里纠纷升级"}}
	// Villages and towns may not record the facts that can revoke their title; read-only roles write nothing.
	for _, tok := range []string{h.clerk, h.town1, h.partner, h.analyst} {
		h.topFails(t, tok, qIncident, in, "FORBIDDEN")
	}
	var p struct {
		Incident struct {
			ID, Kind, OccurredOn, SourceDepartment, Description string
			Village                                             struct{ Code string }
		}
	}
	h.mut(t, h.admin, "recordIncident", qIncident, in, &p)
	if p.Incident.Kind != "CIVIL_TO_CRIMINAL" || p.Incident.Village.Code != recV1b {
		t.Fatalf("incident: %+v", p.Incident)
	}
	h.mutFails(t, h.admin, "recordIncident", qIncident, map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "EXTREME_VIOLENCE",
		"occurredOn": "2025-08-08", "sourceDepartment": " "}}, "INVALID")
	h.mut(t, h.admin, "updateIncident", `mutation($in: UpdateIncidentInput!) { updateIncident(input: $in) { incident { id }`+recUE+` } }`,
		map[string]any{"in": map[string]any{"id": p.Incident.ID, "description": "已判决"}}, nil)
	incidents := func(token, period string) []string {
		var d struct {
			Village struct {
				Incidents []struct{ Kind, Description string }
			}
		}
		vars := map[string]any{"code": recV1b}
		if period != "" {
			vars["p"] = period
		}
		h.query(t, token, `query($code: DivisionCode!, $p: Period) { village(code: $code) { incidents(period: $p) { kind description } } }`, vars, &d)
		var out []string
		for _, i := range d.Village.Incidents {
			out = append(out, i.Kind+" "+i.Description)
		}
		return out
	}
	if got := incidents(h.clerk, "2025"); !slices.Equal(got, []string{"CIVIL_TO_CRIMINAL 已判决"}) {
		t.Fatalf("clerk reads incidents of 2025: %v", got)
	}
	if got := incidents(h.partner, "2024-Q3"); len(got) != 0 {
		t.Fatalf("incidents of 2024-Q3: %v", got)
	}
	const qDelete = `mutation($in: DeleteRecordInput!) { deleteIncident(input: $in) { deletedId` + recUE + ` } }`
	h.topFails(t, h.clerk, qDelete, map[string]any{"in": map[string]any{"id": p.Incident.ID, "reason": "x"}}, "FORBIDDEN")
	h.mut(t, h.admin, "deleteIncident", qDelete, map[string]any{"in": map[string]any{"id": p.Incident.ID, "reason": "信息有误"}}, nil)
	if got := incidents(h.admin, ""); len(got) != 0 {
		t.Fatalf("incidents after delete: %v", got)
	}

	const qLawsuits = `mutation($in: SetLawsuitsInput!) { setLawsuits(input: $in) { lawsuitYear { year civil administrative total sourceDepartment }` + recUE + ` } }`
	for _, l := range [][3]int{{2024, 9, 0}, {2025, 7, 1}, {2025, 6, 1}} {
		h.mut(t, h.admin, "setLawsuits", qLawsuits, map[string]any{"in": map[string]any{"villageId": h.v1b, "year": l[0], "civil": l[1],
			"administrative": l[2], "sourceDepartment": "法院"}}, nil)
	}
	h.mutFails(t, h.admin, "setLawsuits", qLawsuits, map[string]any{"in": map[string]any{"villageId": h.v1b, "year": 2025, "civil": -1, "administrative": 0}}, "INVALID")
	h.topFails(t, h.town1, qLawsuits, map[string]any{"in": map[string]any{"villageId": h.v1b, "year": 2025, "civil": 0, "administrative": 0}}, "FORBIDDEN")
	var d struct {
		Village struct {
			Lawsuits []struct{ Year, Civil, Administrative, Total int }
		}
	}
	h.query(t, h.clerk, `query($code: DivisionCode!) { village(code: $code) { lawsuits { year civil administrative total } } }`, map[string]any{"code": recV1b}, &d)
	if got, _ := json.Marshal(d.Village.Lawsuits); string(got) != `[{"Year":2025,"Civil":6,"Administrative":1,"Total":7},{"Year":2024,"Civil":9,"Administrative":0,"Total":9}]` {
		t.Fatalf("lawsuits: %s", got)
	}

	// Culture carriers are the village's own register.
	const qCarrier = `mutation($in: AddCultureCarrierInput!) { addCultureCarrier(input: $in) { cultureCarrier { id kind name }` + recUE + ` } }`
	var c struct {
		CultureCarrier struct{ ID, Kind, Name string }
	}
	h.mut(t, h.clerk, "addCultureCarrier", qCarrier, map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "SQUARE", "name": "秋湖法治广场"}}, &c)
	h.mut(t, h.clerk, "addCultureCarrier", qCarrier, map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "BOARD", "name": "村委会门前宣传栏"}}, nil)
	h.mutFails(t, h.clerk, "addCultureCarrier", qCarrier, map[string]any{"in": map[string]any{"villageId": h.v1b, "kind": "SQUARE", "name": "秋湖法治广场"}}, "CONFLICT")
	h.mut(t, h.clerk, "removeCultureCarrier", `mutation($in: DeleteRecordInput!) { removeCultureCarrier(input: $in) { deletedId`+recUE+` } }`,
		map[string]any{"in": map[string]any{"id": c.CultureCarrier.ID, "reason": "广场改建"}}, nil)
	var cc struct {
		Village struct{ CultureCarriers []struct{ Kind, Name string } }
	}
	h.query(t, h.partner, `query($code: DivisionCode!) { village(code: $code) { cultureCarriers { kind name } } }`, map[string]any{"code": recV1b}, &cc)
	if len(cc.Village.CultureCarriers) != 1 || cc.Village.CultureCarriers[0].Kind != "BOARD" {
		t.Fatalf("carriers: %+v", cc.Village.CultureCarriers)
	}
}

const qImport = `mutation($in: ImportRecordsInput!) { importRecords(input: $in) { inserted updated unchanged
	userErrors { field message messageEn code } rowErrors { row column message messageEn } } }`

type importT struct {
	Inserted, Updated, Unchanged int
	UserErrors                   []recUserError
	RowErrors                    []struct {
		Row                        int
		Column, Message, MessageEn string
	}
}

func importResult(t testing.TB, r *apptest.Response) importT {
	t.Helper()
	var d struct{ ImportRecords importT }
	r.Decode(t, &d)
	return d.ImportRecords
}

func TestImportRecordsGraphQL(t *testing.T) {
	h := newRecH(t)
	var tmpl struct {
		ImportTemplates []struct {
			Kind, Title, TitleEn, XlsxURL, CsvURL string
			Columns                               []struct {
				Name, Description, DescriptionEn string
				Required                         bool
			}
		}
	}
	h.query(t, h.partner, `{ importTemplates { kind title titleEn xlsxUrl csvUrl columns { name required description descriptionEn } } }`, nil, &tmpl)
	if len(tmpl.ImportTemplates) != 7 {
		t.Fatalf("templates: %d", len(tmpl.ImportTemplates))
	}
	hh := tmpl.ImportTemplates[0]
	if hh.Kind != "HOUSEHOLD" || hh.XlsxURL != "/templates/household.xlsx" || hh.CsvURL != "/templates/household.csv" ||
		hh.Columns[0].Name != "村(社区)代码" || !hh.Columns[0].Required || hh.Columns[1].Name != "户号" || !hh.Columns[1].Required ||
		hh.Columns[2].Required || hh.Columns[2].Description == "" || hh.Columns[2].DescriptionEn == "" {
		t.Fatalf("household template: %+v", hh)
	}

	upload := func(token, kind, name string, data []byte) importT {
		t.Helper()
		r := h.Upload(t, token, qImport, map[string]any{"in": map[string]any{"kind": kind, "file": nil}}, "variables.in.file", name, data)
		return importResult(t, r)
	}
	file := []byte("\xEF\xBB\xBF村(社区)代码,户号,户主姓名,人口数,有家规家训\n" + recV1b + ",001,张三,4,是\n" + recV1b + ",002,李四,3,否\n")
	if p := upload(h.clerk, "HOUSEHOLD", "hh.csv", file); p.Inserted != 2 || p.Updated != 0 || p.Unchanged != 0 || len(p.UserErrors) != 0 {
		t.Fatalf("import: %+v", p)
	}
	if p := upload(h.clerk, "HOUSEHOLD", "hh.csv", file); p.Inserted != 0 || p.Updated != 0 || p.Unchanged != 2 {
		t.Fatalf("same file again: %+v", p)
	}
	bad := []byte("村(社区)代码,户号,户主姓名,人口数,有家规家训\n" + recV1b + ",003,王五,4,是\n" + recV1b + ",004,赵六,四口,也许\n")
	p := upload(h.clerk, "HOUSEHOLD", "bad.csv", bad)
	if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "IMPORT_REJECTED" || len(p.RowErrors) != 2 || p.Inserted != 0 ||
		p.RowErrors[0].Row != 3 || p.RowErrors[0].Column != "人口数" || p.RowErrors[1].Column != "有家规家训" || p.RowErrors[0].MessageEn == "" {
		t.Fatalf("bad file: %+v", p)
	}
	if c := h.households(t, h.clerk, map[string]any{"first": 10}); c.TotalCount != 2 {
		t.Fatalf("households after a rejected file: %d", c.TotalCount)
	}

	// Incidents need RECORD_PARTNER_FACTS: a clerk gets FORBIDDEN, the district imports them.
	f := excelize.NewFile()
	for i, row := range [][]any{{"村(社区)代码", "类型", "发生日期", "来源部门"}, {recV1b, "民转刑", "2025-08-08", "公安局"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var xb bytes.Buffer
	if err := f.Write(&xb); err != nil {
		t.Fatal(err)
	}
	if p := upload(h.clerk, "INCIDENT", "inc.xlsx", xb.Bytes()); len(p.UserErrors) != 1 || p.UserErrors[0].Code != "FORBIDDEN" {
		t.Fatalf("clerk importing incidents: %+v", p)
	}
	if p := upload(h.admin, "INCIDENT", "inc.xlsx", xb.Bytes()); p.Inserted != 1 || len(p.UserErrors) != 0 {
		t.Fatalf("district importing incidents: %+v", p)
	}
	// Read-only roles cannot call the mutation at all.
	r := h.Upload(t, h.analyst, qImport, map[string]any{"in": map[string]any{"kind": "HOUSEHOLD", "file": nil}}, "variables.in.file", "hh.csv", file)
	if r.Code() != "FORBIDDEN" {
		t.Fatalf("analyst import: %q %s", r.Code(), r.Data)
	}
	if strings.Contains(string(r.Data), "inserted\":2") {
		t.Fatalf("analyst import wrote: %s", r.Data)
	}
}
