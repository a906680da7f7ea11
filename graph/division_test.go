package graph_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Division adjustments over GraphQL: the audit walk's cases, and a test of
// the API (permissions, scope, history queries, the rulings on titles).

func init() {
	for name, c := range divisionAudCases {
		audCases[name] = c
	}
}

func divToday() string { return shanghaiNow().Format("2006-01-02") }

func divInput(doc string) map[string]any {
	return map[string]any{"effectiveOn": divToday(), "decisionDocument": doc}
}

const divSel = "change { id kind regions { role codeBefore codeAfter nameAfter dissolved } } rulings { rule { code } }"

// divCreate splits a new village off 白马村委会 (which continues) and returns its code.
func divCreate(t *testing.T, h *harness, token, code, name string) string {
	t.Helper()
	payloadOf(t, h.Do(t, token, audMut("splitVillage", "SplitVillageInput", divSel), audIn(map[string]any{
		"division": divInput("溧政复〔2026〕1号"), "villageCode": v2a, "sourceContinues": true, "territoryChanged": false,
		"parts": []map[string]any{{"code": code, "name": name}}})), "splitVillage")
	return code
}

var divisionAudCases = map[string]audCase{
	"splitVillage": {"division.split", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.admin, "splitVillage", audMut("splitVillage", "SplitVillageInput", divSel), audIn(map[string]any{
			"division": divInput("溧政复〔2026〕2号"), "villageCode": v2a, "sourceContinues": true, "territoryChanged": false,
			"parts": []map[string]any{{"code": "320117100211", "name": "石头寨新村"}}}))
	}},
	"renameVillage": {"division.rename", func(t *testing.T, f *audFixture) {
		c := divCreate(t, f.harness, f.admin, "320117100221", "待更名村")
		f.mutate(t, f.admin, "renameVillage", audMut("renameVillage", "RenameVillageInput", divSel), audIn(map[string]any{
			"division": divInput("溧政复〔2026〕3号"), "villageCode": c, "name": "更名后村"}))
	}},
	"mergeVillages": {"division.merge", func(t *testing.T, f *audFixture) {
		a := divCreate(t, f.harness, f.admin, "320117100231", "合并后村")
		f.mutate(t, f.admin, "mergeVillages", audMut("mergeVillages", "MergeVillagesInput", divSel), audIn(map[string]any{
			"division": divInput("溧政复〔2026〕4号"), "sourceCodes": []string{v2b}, "targetCode": a, "territoryChanged": false}))
	}},
	"moveVillage": {"division.move", func(t *testing.T, f *audFixture) {
		c := divCreate(t, f.harness, f.admin, "320117100241", "待调整村")
		f.mutate(t, f.admin, "moveVillage", audMut("moveVillage", "MoveVillageInput", divSel), audIn(map[string]any{
			"division": divInput("溧政复〔2026〕5号"), "villageCode": c, "townCode": town1, "newCode": "320117001241", "territoryChanged": false}))
	}},
}

// TestDivisionAPI: a district merges two villages (one titled) and renames
// another; the API shows the change, the history as of dates, the dissolved
// village out of lists, the rulings on the titles; towns may not adjust, a
// district may not move a village out of its scope.
func TestDivisionAPI(t *testing.T) {
	h := newHarness(t)
	townTok := h.Token(t, core.RoleTownOfficial, town1)
	// 石头寨村委会 and 白马村委会 hold provincial titles.
	if err := h.DB.AsSystem(context.Background(), func(tx *postgres.Tx) error {
		_, err := tx.Exec(`INSERT INTO titles (village_id, level, batch, year) SELECT id, 'provincial', 5, 2008 FROM regions WHERE code IN ($1, $2)`, v2a, v2b)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Towns do not record adjustments (the permission), bad input is refused with a code.
	wantCode(t, h.Do(t, townTok, audMut("renameVillage", "RenameVillageInput", divSel), audIn(map[string]any{
		"division": divInput("x"), "villageCode": v1b, "name": "新名"})), "FORBIDDEN")
	r := h.Do(t, h.admin, audMut("renameVillage", "RenameVillageInput", divSel), audIn(map[string]any{
		"division": map[string]any{"effectiveOn": "2099-01-01", "decisionDocument": "x"}, "villageCode": v1b, "name": "新名"}))
	if ue := wantUserError(t, r, "renameVillage", "INVALID"); ue.MessageEn == "" || ue.Message == "" {
		t.Fatalf("user error without both languages: %+v", ue)
	}
	// A district cannot move a village into another district (outside its scope).
	r = h.Do(t, h.admin, audMut("moveVillage", "MoveVillageInput", divSel), audIn(map[string]any{
		"division": divInput("x"), "villageCode": v1b, "townCode": "320118001", "newCode": "320118001201", "territoryChanged": false}))
	wantUserError(t, r, "moveVillage", "NOT_FOUND")

	// 石头寨村委会 merges into 白马村委会, which is renamed 白马石头寨村 (C2 for both).
	var m struct {
		MergeVillages struct {
			Change struct {
				ID      string
				Kind    string
				Regions []struct {
					Role, CodeBefore, CodeAfter, NameAfter string
					Dissolved                              bool
				}
			}
			Rulings []struct{ Rule struct{ Code string } }
		}
	}
	h.data(t, h.admin, audMut("mergeVillages", "MergeVillagesInput", divSel), audIn(map[string]any{
		"division": divInput("溧政复〔2026〕9号"), "sourceCodes": []string{v2b}, "targetCode": v2a, "newName": "白马石头寨村", "territoryChanged": true}), &m)
	mc := m.MergeVillages.Change
	if mc.Kind != "MERGE" || len(mc.Regions) != 2 || mc.Regions[0].Role != "TARGET" || mc.Regions[0].NameAfter != "白马石头寨村" ||
		mc.Regions[1].Role != "SOURCE" || !mc.Regions[1].Dissolved || len(m.MergeVillages.Rulings) != 2 {
		t.Fatalf("merge payload %+v", m.MergeVillages)
	}

	// The history of the merged-into village, the dissolved one, lists without it.
	today := divToday()
	q := fmt.Sprintf(`{
	  target: village(code: "%s") { name history { validFrom validTo name parentName openedBy { kind } } divisionChanges { kind decisionDocument }
	    provincialTitle { divisionRulings { rule { code } note change { kind } review { id } } history { action reason } } }
	  gone: village(code: "%s") { dissolvedOn successor { code } history { validTo closedBy { kind } } }
	  town: region(code: "%s") { villages { totalCount } all: villages(filter: {includeDissolved: true}) { totalCount }
	    children { totalCount } villagesAsOf(date: "2000-01-01") { totalCount edges { node { code name } } } }
	  before: regionAsOf(code: "%s", date: "2000-01-01") { name region { name } }
	  changes: divisionChanges(areaCode: "%s") { totalCount edges { node { id kind } } }
	}`, v2a, v2b, town2, v2a, district)
	var d struct {
		Target struct {
			Name    string
			History []struct {
				ValidFrom, ValidTo *string
				Name, ParentName   string
				OpenedBy           *struct{ Kind string }
			}
			DivisionChanges []struct{ Kind, DecisionDocument string }
			ProvincialTitle struct {
				DivisionRulings []struct {
					Rule   struct{ Code string }
					Note   string
					Change struct{ Kind string }
					Review *struct{ ID string }
				}
				History []struct{ Action, Reason string }
			}
		}
		Gone struct {
			DissolvedOn *string
			Successor   struct{ Code string }
			History     []struct {
				ValidTo  *string
				ClosedBy *struct{ Kind string }
			}
		}
		Town struct {
			Villages     struct{ TotalCount int }
			All          struct{ TotalCount int }
			Children     struct{ TotalCount int }
			VillagesAsOf struct {
				TotalCount int
				Edges      []struct{ Node struct{ Code, Name string } }
			}
		}
		Before struct {
			Name   string
			Region struct{ Name string }
		}
		Changes struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID, Kind string } }
		}
	}
	h.data(t, h.admin, q, nil, &d)
	tg := d.Target
	if tg.Name != "白马石头寨村" || len(tg.History) != 2 || tg.History[0].ValidFrom != nil || *tg.History[0].ValidTo != today ||
		tg.History[0].Name != "白马村委会" || tg.History[0].ParentName != "白马镇" || tg.History[1].Name != "白马石头寨村" ||
		*tg.History[1].ValidFrom != today || tg.History[1].OpenedBy == nil || tg.History[1].OpenedBy.Kind != "MERGE" {
		t.Fatalf("target history %+v", tg.History)
	}
	if len(tg.DivisionChanges) != 1 || tg.DivisionChanges[0].DecisionDocument != "溧政复〔2026〕9号" {
		t.Fatalf("target changes %+v", tg.DivisionChanges)
	}
	rl := tg.ProvincialTitle.DivisionRulings
	if len(rl) != 1 || rl[0].Rule.Code != "C2" || rl[0].Change.Kind != "MERGE" || rl[0].Review != nil {
		t.Fatalf("target rulings %+v", rl)
	}
	if hs := tg.ProvincialTitle.History; len(hs) != 1 || hs[0].Action != "DIVISION_RULING" {
		t.Fatalf("title history %+v", hs)
	}
	g := d.Gone
	if g.DissolvedOn == nil || *g.DissolvedOn != today || g.Successor.Code != v2a || len(g.History) != 1 ||
		*g.History[0].ValidTo != today || g.History[0].ClosedBy == nil || g.History[0].ClosedBy.Kind != "MERGE" {
		t.Fatalf("dissolved village %+v", g)
	}
	asOf := []string{}
	for _, e := range d.Town.VillagesAsOf.Edges {
		asOf = append(asOf, e.Node.Code+" "+e.Node.Name)
	}
	if d.Town.Villages.TotalCount != 1 || d.Town.All.TotalCount != 2 || d.Town.Children.TotalCount != 1 ||
		!slices.Equal(asOf, []string{v2a + " 白马村委会", v2b + " 石头寨村委会"}) || d.Town.VillagesAsOf.TotalCount != 2 {
		t.Fatalf("town lists %+v / as of %v", d.Town, asOf)
	}
	if d.Before.Name != "白马村委会" || d.Before.Region.Name != "白马石头寨村" {
		t.Fatalf("regionAsOf %+v", d.Before)
	}
	if d.Changes.TotalCount != 1 || d.Changes.Edges[0].Node.ID != mc.ID {
		t.Fatalf("changes %+v", d.Changes)
	}
	// node(id:) finds the change; a clerk of another town does not.
	var n struct{ Node *struct{ Kind string } }
	h.data(t, h.admin, `query($id: ID!) { node(id: $id) { ... on DivisionChange { kind } } }`, map[string]any{"id": mc.ID}, &n)
	if n.Node == nil || n.Node.Kind != "MERGE" {
		t.Fatalf("node %+v", n)
	}
	n.Node = nil
	h.data(t, h.Token(t, core.RoleVillageClerk, v1b), `query($id: ID!) { node(id: $id) { ... on DivisionChange { kind } } }`, map[string]any{"id": mc.ID}, &n)
	if n.Node != nil {
		t.Fatalf("out-of-scope clerk sees the change: %+v", n)
	}
	// Nothing more can be recorded for the dissolved village.
	r = h.Do(t, h.admin, audMut("addGrid", "AddVillagePartInput", "grid { id }"), audIn(map[string]any{"villageId": h.villageID(t, h.admin, v2b), "name": "一网格"}))
	wantUserError(t, r, "addGrid", "INVALID")
}
