package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/core"
)

// townData is what one town holds, recorded through the API by its own users.
type townData struct {
	town, village          string // codes
	townID, villageID      string
	gridID, groupID        string
	titleID                string
	activityID, evidenceID string
	evidenceKey            string // the object key part of the evidence's download URL
	uploadID               string // a browser upload, posted but not yet confirmed
	uploadSHA              string
	tokenID                string // a token issued by the town official
}

// seedTown records a grid, a villager group, a title, an activity with
// evidence, a pending browser upload and a token in the town's first village.
func seedTown(t *testing.T, h *harness, official, townAdmin, town, village string, img []byte) townData {
	t.Helper()
	d := townData{town: town, village: village}
	d.townID = h.regionID(t, official, town)
	d.villageID = h.villageID(t, official, village)
	var g struct {
		AddGrid struct{ Grid struct{ ID string } }
	}
	h.data(t, official, mAddGrid, map[string]any{"in": map[string]any{"villageId": d.villageID, "name": "第一网格"}}, &g)
	d.gridID = g.AddGrid.Grid.ID
	var vg struct {
		AddVillagerGroup struct{ VillagerGroup struct{ ID string } }
	}
	h.data(t, official, mAddGroup, map[string]any{"in": map[string]any{"villageId": d.villageID, "name": "一组"}}, &vg)
	d.groupID = vg.AddVillagerGroup.VillagerGroup.ID
	d.titleID = h.award(t, townAdmin, d.villageID, 6, 2011).ID
	d.activityID = h.record(t, official, d.villageID, "LECTURE", "2025-04-10", "法治讲座").ID
	ev := h.upload(t, official, d.activityID, "讲座.png", img)
	d.evidenceID = ev.ID
	d.evidenceKey = "evidence/" + village + "/"
	if !strings.Contains(ev.DownloadURL, d.evidenceKey) {
		t.Fatalf("download URL %s does not name the object key %s", ev.DownloadURL, d.evidenceKey)
	}
	other := pngImage(t, len(town)+int(village[len(village)-1]))
	p := pending(t, h.requestUpload(t, official, d.activityID, "签到表.png", "image/png", nil))
	if res := postForm(t, p.URL, p.Fields, "签到表.png", other); res.StatusCode/100 != 2 {
		t.Fatalf("presigned POST: HTTP %d", res.StatusCode)
	}
	d.uploadID, d.uploadSHA = p.ID, sha(other)
	tok, _ := h.createToken(t, official, "文书@"+village, "VILLAGE_CLERK", village)
	d.tokenID = tok.ID
	return d
}

// leakChecker fails the test when a response shows anything of the other town.
type leakChecker struct {
	h      *harness
	token  string
	hidden []string
}

func (c leakChecker) Do(t testing.TB, query string, vars map[string]any) *apptest.Response {
	t.Helper()
	r := c.h.Do(t, c.token, query, vars)
	b, _ := json.Marshal(r)
	for _, s := range c.hidden {
		if strings.Contains(string(b), s) {
			t.Fatalf("response shows %q of the other town: %s", s, b)
		}
	}
	return r
}

func (c leakChecker) Upload(t testing.TB, query string, vars map[string]any, path, filename string, content []byte) *apptest.Response {
	t.Helper()
	r := c.h.Upload(t, c.token, query, vars, path, filename, content)
	b, _ := json.Marshal(r)
	for _, s := range c.hidden {
		if strings.Contains(string(b), s) {
			t.Fatalf("response shows %q of the other town: %s", s, b)
		}
	}
	return r
}

func TestScopeIsolation(t *testing.T) {
	h := newHarness(t)
	img := pngImage(t, 2026) // the same file in both towns
	off1 := h.Token(t, core.RoleTownOfficial, town1)
	off2 := h.Token(t, core.RoleTownOfficial, town2)
	adm1 := h.Token(t, core.RoleDistrictAdmin, town1) // title rights, but only over town 1
	adm2 := h.Token(t, core.RoleDistrictAdmin, town2)
	d1 := seedTown(t, h, off1, adm1, town1, v1b, img)
	d2 := seedTown(t, h, off2, adm2, town2, v2a, img)
	// Everything the first town's users send is checked for traces of the second town.
	hidden := []string{town2, "白马", "石头寨", d2.evidenceKey}
	u1 := leakChecker{h: h, token: off1, hidden: hidden}
	a1 := leakChecker{h: h, token: adm1, hidden: hidden}

	t.Run("region and village by code", func(t *testing.T) {
		const q = `query($c: DivisionCode!) { region(code: $c) { code } village(code: $c) { code } }`
		for _, code := range []string{town2, v2a, v2b, district, "3201", "32"} {
			var d struct{ Region, Village *struct{ Code string } }
			u1.Do(t, q, map[string]any{"c": code}).Decode(t, &d)
			if d.Region != nil || d.Village != nil {
				t.Fatalf("town 1 sees %s: %+v", code, d)
			}
		}
		var d struct {
			Region *struct {
				Code   string
				Parent *struct{ Code string }
			}
		}
		u1.Do(t, `{ region(code: "`+town1+`") { code parent { code } } }`, nil).Decode(t, &d)
		if d.Region == nil || d.Region.Code != town1 || d.Region.Parent != nil {
			t.Fatalf("own town = %+v", d.Region)
		}
		var v struct {
			Village *struct{ Town *struct{ Code string } }
		}
		u1.Do(t, `{ village(code: "`+v1b+`") { town { code } } }`, nil).Decode(t, &v)
		if v.Village == nil || v.Village.Town == nil || v.Village.Town.Code != town1 {
			t.Fatalf("own village = %+v", v.Village)
		}
	})
	others := []struct{ typ, id string }{
		{"Region", d2.townID}, {"Village", d2.villageID}, {"Grid", d2.gridID}, {"VillagerGroup", d2.groupID},
		{"Title", d2.titleID}, {"Activity", d2.activityID}, {"Evidence", d2.evidenceID}, {"Token", d2.tokenID},
	}
	t.Run("node", func(t *testing.T) {
		const q = `query($id: ID!) { node(id: $id) { __typename id } }`
		for _, o := range others {
			for _, c := range []leakChecker{u1, a1} {
				r := c.Do(t, q, map[string]any{"id": o.id})
				fake := c.Do(t, q, map[string]any{"id": fakeID(o.typ)})
				if string(r.Data) != `{"node":null}` || len(r.Errors) != 0 || !bytes.Equal(r.Data, fake.Data) || len(fake.Errors) != 0 {
					t.Fatalf("node(%s of town 2) = %s %+v; made-up ID: %s", o.typ, r.Data, r.Errors, fake.Data)
				}
			}
		}
		// The same IDs are fine for the second town and for the district.
		for _, o := range others {
			for _, tok := range []string{off2, h.admin} {
				var d struct{ Node *struct{ ID string } }
				h.data(t, tok, q, map[string]any{"id": o.id}, &d)
				if d.Node == nil || d.Node.ID != o.id {
					t.Fatalf("node(%s) not visible in its own town or district", o.typ)
				}
			}
		}
	})
	t.Run("nodes", func(t *testing.T) {
		ids := []string{d1.villageID}
		for _, o := range others {
			ids = append(ids, o.id)
		}
		ids = append(ids, d1.evidenceID)
		var d struct {
			Nodes []*struct{ ID string }
		}
		u1.Do(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}).Decode(t, &d)
		if len(d.Nodes) != len(ids) || d.Nodes[0] == nil || d.Nodes[0].ID != d1.villageID || d.Nodes[len(ids)-1] == nil {
			t.Fatalf("nodes = %+v", d.Nodes)
		}
		for i := 1; i < len(ids)-1; i++ {
			if d.Nodes[i] != nil {
				t.Fatalf("nodes[%d] (%s of town 2) = %+v", i, others[i-1].typ, d.Nodes[i])
			}
		}
	})
	t.Run("counts", func(t *testing.T) {
		const q = `query($c: DivisionCode!) { region(code: $c) {
			villages(first: 100) { totalCount nodes { code } }
			dutyStatus(period: "2025", first: 100) { totalCount nodes { village { code } lectureMonths { done } } }
			children { totalCount }
		} }`
		type counts struct {
			Region *struct {
				Villages struct {
					TotalCount int
					Nodes      []struct{ Code string }
				}
				DutyStatus struct {
					TotalCount int
					Nodes      []struct {
						Village       struct{ Code string }
						LectureMonths struct{ Done int }
					}
				}
				Children struct{ TotalCount int }
			}
		}
		var c counts
		u1.Do(t, q, map[string]any{"c": town1}).Decode(t, &c)
		r := c.Region
		if r.Villages.TotalCount != 2 || len(r.Villages.Nodes) != 2 || r.DutyStatus.TotalCount != 2 || len(r.DutyStatus.Nodes) != 2 ||
			r.Children.TotalCount != 2 || r.Villages.Nodes[1].Code != v1b || r.DutyStatus.Nodes[1].LectureMonths.Done != 1 {
			t.Fatalf("town 1 counts = %+v", r)
		}
		for _, f := range []map[string]any{{"hasTitle": true}, {"batch": 6}, {"kind": "VILLAGE"}, {"nameContains": "村"}} {
			var v struct {
				Region struct{ Villages struct{ TotalCount int } }
			}
			u1.Do(t, `query($f: VillageFilter) { region(code: "`+town1+`") { villages(filter: $f) { totalCount } } }`,
				map[string]any{"f": f}).Decode(t, &v)
			if v.Region.Villages.TotalCount != 1 {
				t.Fatalf("villages(%v) = %d, want 1", f, v.Region.Villages.TotalCount)
			}
		}
		var e struct {
			Village struct {
				Evidence struct {
					TotalCount int
					Nodes      []struct {
						ID          string
						DownloadURL string
						Duplicates  []struct{ ID string }
					}
				}
			}
		}
		u1.Do(t, `{ village(code: "`+v1b+`") { evidence { totalCount nodes { id downloadUrl duplicates { id } } } } }`, nil).Decode(t, &e)
		ev := e.Village.Evidence
		if ev.TotalCount != 1 || len(ev.Nodes) != 1 || ev.Nodes[0].ID != d1.evidenceID || len(ev.Nodes[0].Duplicates) != 0 ||
			!strings.Contains(ev.Nodes[0].DownloadURL, d1.evidenceKey) {
			t.Fatalf("own evidence = %+v", ev)
		}
		var tk struct{ Tokens []struct{ ID, Name string } }
		u1.Do(t, `{ tokens(includeRevoked: true) { id name } }`, nil).Decode(t, &tk)
		for _, x := range tk.Tokens {
			if x.ID == d2.tokenID {
				t.Fatalf("town 1 lists a token of town 2: %+v", x)
			}
		}
		if !slices.ContainsFunc(tk.Tokens, func(x struct{ ID, Name string }) bool { return x.ID == d1.tokenID }) {
			t.Fatalf("town 1 does not list its own token: %+v", tk.Tokens)
		}
	})

	// Every mutation on the second town's objects answers exactly as for an object that does not exist.
	type attempt struct {
		name     string
		by       leakChecker
		doc      string
		mutation string
		in       func(id string) map[string]any
		other    string // the second town's ID or code
		fake     string // a made-up one of the same kind
		file     []byte // sent by GraphQL multipart as input.file
	}
	attempts := []attempt{
		{"updateVillage", u1, mUpdateVillage, "updateVillage",
			func(id string) map[string]any { return map[string]any{"villageId": id, "householdCount": 1} }, d2.villageID, fakeID("Village"), nil},
		{"addGrid", u1, mAddGrid, "addGrid",
			func(id string) map[string]any { return map[string]any{"villageId": id, "name": "越界网格"} }, d2.villageID, fakeID("Village"), nil},
		{"addVillagerGroup", u1, mAddGroup, "addVillagerGroup",
			func(id string) map[string]any { return map[string]any{"villageId": id, "name": "越界小组"} }, d2.villageID, fakeID("Village"), nil},
		{"awardTitle", a1, mAwardTitle, "awardTitle",
			func(id string) map[string]any {
				return map[string]any{"villageId": id, "level": "NATIONAL", "year": 2020}
			}, d2.villageID, fakeID("Village"), nil},
		{"changeTitleStatus", a1, mChangeTitle, "changeTitleStatus",
			func(id string) map[string]any {
				return map[string]any{"titleId": id, "status": "REVOKED", "reason": "越界"}
			}, d2.titleID, fakeID("Title"), nil},
		{"recordActivity", u1, mRecord, "recordActivity",
			func(id string) map[string]any {
				return map[string]any{"villageId": id, "kind": "LECTURE", "date": "2025-05-01", "title": "越界"}
			}, d2.villageID, fakeID("Village"), nil},
		{"updateActivity", u1, mUpdateAct, "updateActivity",
			func(id string) map[string]any { return map[string]any{"id": id, "title": "越界"} }, d2.activityID, fakeID("Activity"), nil},
		{"deleteActivity", u1, mDeleteAct, "deleteActivity",
			func(id string) map[string]any { return map[string]any{"id": id, "reason": "越界"} }, d2.activityID, fakeID("Activity"), nil},
		{"requestEvidenceUpload", u1, mRequestUpload, "requestEvidenceUpload",
			func(id string) map[string]any {
				return map[string]any{"activityId": id, "filename": "x.png", "contentType": "image/png"}
			}, d2.activityID, fakeID("Activity"), nil},
		{"uploadEvidence", u1, mUpload, "uploadEvidence",
			func(id string) map[string]any { return map[string]any{"activityId": id, "file": nil} }, d2.activityID, fakeID("Activity"), pngImage(t, 5)},
		{"confirmEvidenceUpload", u1, mConfirm, "confirmEvidenceUpload",
			func(id string) map[string]any { return map[string]any{"uploadId": id, "sha256": d2.uploadSHA} }, d2.uploadID, fakeID("Upload"), nil},
		{"deleteEvidence", u1, mDeleteEvidence, "deleteEvidence",
			func(id string) map[string]any { return map[string]any{"id": id, "reason": "越界"} }, d2.evidenceID, fakeID("Evidence"), nil},
		{"revokeToken", u1, mRevokeToken, "revokeToken",
			func(id string) map[string]any { return map[string]any{"id": id} }, d2.tokenID, fakeID("Token"), nil},
		{"createToken", u1, mCreateToken, "createToken",
			func(code string) map[string]any {
				return map[string]any{"name": "越界令牌", "role": "VILLAGE_CLERK", "scopeCode": code}
			}, v2a, "320117001999", nil},
		{"createToken for the other town", u1, mCreateToken, "createToken",
			func(code string) map[string]any {
				return map[string]any{"name": "越界令牌", "role": "TOWN_OFFICIAL", "scopeCode": code}
			}, town2, "320117199", nil},
	}
	for _, a := range attempts {
		t.Run(a.name+" is NOT_FOUND", func(t *testing.T) {
			send := func(id string) *apptest.Response {
				vars := map[string]any{"in": a.in(id)}
				if a.file != nil {
					return a.by.Upload(t, a.doc, vars, "variables.in.file", "x.png", a.file)
				}
				return a.by.Do(t, a.doc, vars)
			}
			r := send(a.other)
			wantUserError(t, r, a.mutation, "NOT_FOUND")
			fake := send(a.fake)
			if len(fake.Errors) != 0 || !bytes.Equal(r.Data, fake.Data) {
				t.Fatalf("other town's object: %s\nmade-up one:       %s", r.Data, fake.Data)
			}
		})
	}
	t.Run("the second town is unchanged", func(t *testing.T) {
		var d struct {
			Village struct {
				HouseholdCount *int
				Version        int
				Grids          []struct{ ID string }
				VillagerGroups []struct{ ID string }
				Titles         []struct{ Status string }
				Activities     struct {
					TotalCount int
					Nodes      []struct {
						Title   string
						Version int
					}
				}
				Evidence struct {
					Nodes []struct{ ID string }
				}
			}
			Tokens []struct {
				ID        string
				RevokedAt *string
			}
		}
		h.data(t, off2, `{ village(code: "`+v2a+`") { householdCount version grids { id } villagerGroups { id } titles { status }
			activities { totalCount nodes { title version } } evidence { nodes { id } } }
			tokens(includeRevoked: true) { id revokedAt } }`, nil, &d)
		v := d.Village
		if v.HouseholdCount != nil || v.Version != 1 || len(v.Grids) != 1 || len(v.VillagerGroups) != 1 || len(v.Titles) != 1 ||
			v.Titles[0].Status != "RETAINED" || v.Activities.TotalCount != 1 || v.Activities.Nodes[0].Title != "法治讲座" ||
			v.Activities.Nodes[0].Version != 1 || len(v.Evidence.Nodes) != 1 || v.Evidence.Nodes[0].ID != d2.evidenceID {
			t.Fatalf("town 2 changed: %+v", v)
		}
		for _, x := range d.Tokens {
			if x.RevokedAt != nil {
				t.Fatalf("a token of town 2 was revoked: %+v", x)
			}
		}
		if len(d.Tokens) != 3 { // the two tokens of the test and the clerk's
			t.Fatalf("town 2 tokens = %+v", d.Tokens)
		}
		// The pending upload the first town tried to confirm is intact: its owner confirms it.
		noUserErrors(t, confirm(h, t, off2, d2.uploadID, d2.uploadSHA), "confirmEvidenceUpload")
	})
	t.Run("village_clerk sees only its village and may not award", func(t *testing.T) {
		clerk := h.Token(t, core.RoleVillageClerk, v1b)
		var d struct{ Town, Sibling, Own *struct{ Code string } }
		h.data(t, clerk, `{ town: region(code: "`+town1+`") { code } sibling: village(code: "`+v1a+`") { code }
			own: village(code: "`+v1b+`") { code } }`, nil, &d)
		if d.Town != nil || d.Sibling != nil || d.Own == nil {
			t.Fatalf("clerk sees %+v", d)
		}
		wantCode(t, h.Do(t, clerk, mAwardTitle, map[string]any{"in": map[string]any{"villageId": d1.villageID, "level": "NATIONAL", "year": 2020}}), "FORBIDDEN")
		wantCode(t, h.Do(t, clerk, mChangeTitle, map[string]any{"in": map[string]any{"titleId": d1.titleID, "status": "REVOKED", "reason": "x"}}), "FORBIDDEN")
		wantCode(t, h.Do(t, clerk, mCreateToken, map[string]any{"in": map[string]any{"name": "x", "role": "VILLAGE_CLERK", "scopeCode": v1b}}), "FORBIDDEN")
		wantCode(t, h.Do(t, clerk, `{ tokens { id } }`, nil), "FORBIDDEN")
		// Its own village's records are its to keep.
		h.record(t, clerk, d1.villageID, "BOARD_UPDATE", "2025-05-02", "宣传栏")
	})
	t.Run("town_official may not award titles", func(t *testing.T) {
		wantCode(t, h.Do(t, off1, mAwardTitle, map[string]any{"in": map[string]any{"villageId": d1.villageID, "level": "NATIONAL", "year": 2020}}), "FORBIDDEN")
	})
	t.Run("district_admin sees both towns", func(t *testing.T) {
		var d struct {
			Region struct {
				Villages   struct{ TotalCount int }
				DutyStatus struct {
					TotalCount int
					Nodes      []struct {
						Village       struct{ Code string }
						LectureMonths struct{ Done int }
					}
				}
			}
			Nodes []*struct{ DownloadURL string }
		}
		h.data(t, h.admin, `query($ids: [ID!]!) { region(code: "320117") { villages { totalCount }
			dutyStatus(period: "2025") { totalCount nodes { village { code } lectureMonths { done } } } }
			nodes(ids: $ids) { ... on Evidence { downloadUrl } } }`, map[string]any{"ids": []string{d1.evidenceID, d2.evidenceID}}, &d)
		if d.Region.Villages.TotalCount != 4 || d.Region.DutyStatus.TotalCount != 4 || len(d.Region.DutyStatus.Nodes) != 4 {
			t.Fatalf("district = %+v", d.Region)
		}
		done := 0
		for _, n := range d.Region.DutyStatus.Nodes {
			done += n.LectureMonths.Done
		}
		if done != 2 {
			t.Fatalf("district lecture months = %d, want 2", done)
		}
		if len(d.Nodes) != 2 || d.Nodes[0] == nil || d.Nodes[1] == nil || !strings.Contains(d.Nodes[0].DownloadURL, d1.evidenceKey) ||
			!strings.Contains(d.Nodes[1].DownloadURL, d2.evidenceKey) {
			t.Fatalf("district evidence = %+v", d.Nodes)
		}
		var tk struct{ Tokens []struct{ ID string } }
		h.data(t, h.admin, `{ tokens { id } }`, nil, &tk)
		ids := map[string]bool{}
		for _, x := range tk.Tokens {
			ids[x.ID] = true
		}
		if !ids[d1.tokenID] || !ids[d2.tokenID] {
			t.Fatalf("district tokens = %+v", tk.Tokens)
		}
	})
}

func TestReadOnlyRoles(t *testing.T) {
	h := newHarness(t)
	vid := h.villageID(t, h.admin, v1b)
	act := h.record(t, h.admin, vid, "LECTURE", "2025-04-10", "讲座")
	ev := h.upload(t, h.admin, act.ID, "a.png", pngImage(t, 1))
	title := h.award(t, h.admin, vid, 4, 2009)
	tok, _ := h.createToken(t, h.admin, "永阳街道司法所", "TOWN_OFFICIAL", town1)
	p := pending(t, h.requestUpload(t, h.admin, act.ID, "b.png", "image/png", nil))

	mutations := []struct {
		name, doc string
		in        map[string]any
		file      bool
	}{
		{"importRegions", mImport, map[string]any{"file": nil}, true},
		{"updateVillage", mUpdateVillage, map[string]any{"villageId": vid, "householdCount": 1}, false},
		{"addGrid", mAddGrid, map[string]any{"villageId": vid, "name": "x"}, false},
		{"addVillagerGroup", mAddGroup, map[string]any{"villageId": vid, "name": "x"}, false},
		{"awardTitle", mAwardTitle, map[string]any{"villageId": vid, "level": "NATIONAL", "year": 2020}, false},
		{"changeTitleStatus", mChangeTitle, map[string]any{"titleId": title.ID, "status": "REVOKED", "reason": "x"}, false},
		{"recordActivity", mRecord, map[string]any{"villageId": vid, "kind": "LECTURE", "date": "2025-05-01", "title": "x"}, false},
		{"updateActivity", mUpdateAct, map[string]any{"id": act.ID, "title": "x"}, false},
		{"deleteActivity", mDeleteAct, map[string]any{"id": act.ID, "reason": "x"}, false},
		{"requestEvidenceUpload", mRequestUpload, map[string]any{"activityId": act.ID, "filename": "x.png", "contentType": "image/png"}, false},
		{"confirmEvidenceUpload", mConfirm, map[string]any{"uploadId": p.ID, "sha256": sha([]byte("x"))}, false},
		{"uploadEvidence", mUpload, map[string]any{"activityId": act.ID, "file": nil}, true},
		{"deleteEvidence", mDeleteEvidence, map[string]any{"id": ev.ID, "reason": "x"}, false},
		{"createToken", mCreateToken, map[string]any{"name": "x", "role": "PARTNER_READONLY", "scopeCode": town1}, false},
		{"revokeToken", mRevokeToken, map[string]any{"id": tok.ID}, false},
	}
	for _, role := range []core.Role{core.RolePartnerReadonly, core.RoleAnalystReadonly} {
		ro := h.Token(t, role, district)
		t.Run(string(role)+" reads", func(t *testing.T) {
			var d struct {
				Region struct {
					Villages   struct{ TotalCount int }
					DutyStatus struct{ TotalCount int }
				}
				Village struct {
					ProvincialTitle struct{ ID string }
					Evidence        struct {
						Nodes []struct{ DownloadURL string }
					}
				}
			}
			h.data(t, ro, `{ region(code: "320117") { villages { totalCount } dutyStatus(period: "2025") { totalCount } }
				village(code: "`+v1b+`") { provincialTitle { id } evidence { nodes { downloadUrl } } } }`, nil, &d)
			if d.Region.Villages.TotalCount != 4 || d.Region.DutyStatus.TotalCount != 4 || d.Village.ProvincialTitle.ID != title.ID ||
				len(d.Village.Evidence.Nodes) != 1 {
				t.Fatalf("read-only view = %+v", d)
			}
			res, body := download(t, d.Village.Evidence.Nodes[0].DownloadURL)
			if res.StatusCode != http.StatusOK || len(body) == 0 {
				t.Fatalf("download: HTTP %d", res.StatusCode)
			}
			wantCode(t, h.Do(t, ro, `{ tokens { id } }`, nil), "FORBIDDEN")
		})
		for _, m := range mutations {
			t.Run(string(role)+" "+m.name+" is FORBIDDEN", func(t *testing.T) {
				vars := map[string]any{"in": m.in}
				var r *apptest.Response
				if m.file {
					r = h.Upload(t, ro, m.doc, vars, "variables.in.file", "x.png", pngImage(t, 9))
				} else {
					r = h.Do(t, ro, m.doc, vars)
				}
				wantCode(t, r, "FORBIDDEN")
				if s := strings.TrimSpace(string(r.Data)); s != "null" && s != "" {
					t.Fatalf("data = %s", s)
				}
			})
		}
	}
	t.Run("nothing changed", func(t *testing.T) {
		var d struct {
			Village struct {
				HouseholdCount *int
				Grids          []struct{ ID string }
				Titles         []struct{ Status string }
				Activities     struct {
					Nodes []struct{ Title string }
				}
				Evidence struct{ TotalCount int }
			}
			Tokens []struct{ ID string }
		}
		h.data(t, h.admin, `{ village(code: "`+v1b+`") { householdCount grids { id } titles { status } activities { nodes { title } }
			evidence { totalCount } } tokens { id } }`, nil, &d)
		v := d.Village
		if v.HouseholdCount != nil || len(v.Grids) != 0 || len(v.Titles) != 1 || v.Titles[0].Status != "RETAINED" ||
			len(v.Activities.Nodes) != 1 || v.Activities.Nodes[0].Title != "讲座" || v.Evidence.TotalCount != 1 || len(d.Tokens) != 2+2 {
			t.Fatalf("a read-only role changed something: %+v, tokens %d", v, len(d.Tokens))
		}
	})
}
