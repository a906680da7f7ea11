package graph_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Evidence of incidents over GraphQL: the evidence mutations take an
// incidentId instead of an activityId (exactly one of the two), attaching or
// removing an incident's evidence takes RECORD_PARTNER_FACTS, and the files
// are read on Incident.evidence, Village.evidence and node(id:).

const (
	incEvidenceFields = `id filename contentType sha256 downloadUrl activity { id } incident { id kind }`
	mIncUpload        = `mutation($in: UploadEvidenceInput!) { uploadEvidence(input: $in) { evidence { ` + incEvidenceFields + ` } ` + ueFields + ` } }`
	mIncConfirm       = `mutation($in: ConfirmEvidenceUploadInput!) { confirmEvidenceUpload(input: $in) { evidence { ` + incEvidenceFields + ` } ` + ueFields + ` } }`
	mIncRecord        = `mutation($in: RecordIncidentInput!) { recordIncident(input: $in) { incident { id } ` + ueFields + ` } }`
	mIncDelete        = `mutation($in: DeleteRecordInput!) { deleteIncident(input: $in) { deletedId ` + ueFields + ` } }`
	qIncEvidence      = `query($code: DivisionCode!) { village(code: $code) {
		incidents { id evidence { id filename activity { id } incident { id } } }
		evidence(first: 50) { totalCount nodes { id activity { id } incident { id } } } } }`
)

type incEvidenceT struct {
	ID, Filename, ContentType, Sha256, DownloadURL string
	Activity                                       *struct{ ID string }
	Incident                                       *struct{ ID, Kind string }
}

type incVillageT struct {
	Village *struct {
		Incidents []struct {
			ID       string
			Evidence []struct {
				ID, Filename string
				Activity     *struct{ ID string }
				Incident     *struct{ ID string }
			}
		}
		Evidence struct {
			TotalCount int
			Nodes      []struct {
				ID       string
				Activity *struct{ ID string }
				Incident *struct{ ID string }
			}
		}
	}
}

func (h *harness) recordIncident(t testing.TB, villageID string) string {
	t.Helper()
	r := h.Do(t, h.admin, mIncRecord, map[string]any{"in": map[string]any{"villageId": villageID, "kind": "MASS_PETITION",
		"occurredOn": "2025-06-02", "sourceDepartment": "信访局", "description": "群体访"}})
	noUserErrors(t, r, "recordIncident")
	var p struct{ Incident struct{ ID string } }
	field(t, r, "recordIncident", &p)
	return p.Incident.ID
}

// auditSinceID lists the audit actions (with the actor's role) written after id.
func (h *harness) auditSinceID(t testing.TB, since int64) []string {
	t.Helper()
	var rows []string
	if err := h.DB.AsSystem(context.Background(), func(tx *postgres.Tx) error {
		return tx.Select(&rows, `SELECT action || ' by ' || actor_role FROM audit_log WHERE id > $1 ORDER BY id`, since)
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

func (h *harness) maxAuditID(t testing.TB) int64 {
	t.Helper()
	var id int64
	if err := h.DB.AsSystem(context.Background(), func(tx *postgres.Tx) error {
		return tx.Get(&id, `SELECT coalesce(max(id), 0) FROM audit_log`)
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestIncidentEvidenceAPI(t *testing.T) {
	h := newHarness(t)
	h.ImportCSV(t, "code,name,parent_code\n320118,高淳区,3201\n320118001,淳溪街道,320118\n320118001201,高淳村委会,320118001\n")
	vid := h.villageID(t, h.admin, v1b)
	clerk := h.Token(t, core.RoleVillageClerk, v1b)
	town := h.Token(t, core.RoleTownOfficial, town1)
	otherTown := h.Token(t, core.RoleTownOfficial, town2)
	otherDistrict := h.Token(t, core.RoleDistrictAdmin, "320118")
	partner := h.Token(t, core.RolePartnerReadonly, district)
	inc := h.recordIncident(t, vid)
	act := h.record(t, clerk, vid, "LECTURE", "2025-04-10", "讲座")

	upload := func(token string, in map[string]any, name string, content []byte) *struct {
		Evidence   *incEvidenceT
		UserErrors []userError
	} {
		t.Helper()
		in = maps.Clone(in)
		in["file"] = nil
		r := h.Upload(t, token, mIncUpload, map[string]any{"in": in}, "variables.in.file", name, content)
		var p struct {
			Evidence   *incEvidenceT
			UserErrors []userError
		}
		field(t, r, "uploadEvidence", &p)
		return &p
	}

	var viaMultipart, viaPost incEvidenceT
	t.Run("multipart upload to an incident", func(t *testing.T) {
		since := h.maxAuditID(t)
		img := pngImage(t, 301)
		p := upload(h.admin, map[string]any{"incidentId": inc, "sha256": sha(img)}, "现场照片.png", img)
		if len(p.UserErrors) != 0 || p.Evidence == nil {
			t.Fatalf("uploadEvidence: %+v", p)
		}
		e := *p.Evidence
		if e.Activity != nil || e.Incident == nil || e.Incident.ID != inc || e.Incident.Kind != "MASS_PETITION" ||
			e.ContentType != "image/png" || e.Sha256 != sha(img) || e.DownloadURL == "" {
			t.Fatalf("evidence %+v", e)
		}
		if res, body := download(t, e.DownloadURL); res.StatusCode != 200 || string(body) != string(img) {
			t.Fatalf("download: HTTP %d", res.StatusCode)
		}
		if got := h.auditSinceID(t, since); !slices.Equal(got, []string{"upload.reserve by district_admin", "evidence.create by district_admin"}) {
			t.Fatalf("audit records %v", got)
		}
		viaMultipart = e
	})

	t.Run("presigned POST and confirm to an incident", func(t *testing.T) {
		doc := []byte("%PDF-1.4\n%incident\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		r := h.Do(t, h.admin, mRequestUpload, map[string]any{"in": map[string]any{"incidentId": inc, "filename": "信访登记表.pdf", "contentType": "application/pdf"}})
		pu := pending(t, r)
		if res := postForm(t, pu.URL, pu.Fields, "信访登记表.pdf", doc); res.StatusCode/100 != 2 {
			t.Fatalf("presigned POST: HTTP %d", res.StatusCode)
		}
		// Only a role that may record incidents confirms it.
		wantUserError(t, h.Do(t, clerk, mIncConfirm, map[string]any{"in": map[string]any{"uploadId": pu.ID, "sha256": sha(doc)}}),
			"confirmEvidenceUpload", "FORBIDDEN")
		r = h.Do(t, h.admin, mIncConfirm, map[string]any{"in": map[string]any{"uploadId": pu.ID, "sha256": sha(doc)}})
		noUserErrors(t, r, "confirmEvidenceUpload")
		var p struct{ Evidence incEvidenceT }
		field(t, r, "confirmEvidenceUpload", &p)
		if p.Evidence.Incident == nil || p.Evidence.Incident.ID != inc || p.Evidence.Activity != nil || p.Evidence.Filename != "信访登记表.pdf" {
			t.Fatalf("evidence %+v", p.Evidence)
		}
		viaPost = p.Evidence
	})

	t.Run("read on the incident, the village and node", func(t *testing.T) {
		actEv := h.upload(t, clerk, act.ID, "签到表.png", pngImage(t, 302))
		for _, tok := range []string{clerk, town, h.admin, partner} {
			var d incVillageT
			h.data(t, tok, qIncEvidence, map[string]any{"code": v1b}, &d)
			if d.Village == nil || len(d.Village.Incidents) != 1 {
				t.Fatalf("village %+v", d.Village)
			}
			ev := d.Village.Incidents[0].Evidence
			if len(ev) != 2 || ev[0].ID != viaMultipart.ID || ev[1].ID != viaPost.ID || ev[0].Incident == nil || ev[0].Activity != nil {
				t.Fatalf("incident evidence %+v", ev)
			}
			nodes := d.Village.Evidence.Nodes
			if d.Village.Evidence.TotalCount != 3 || len(nodes) != 3 || nodes[0].ID != actEv.ID || nodes[0].Activity == nil || nodes[0].Incident != nil {
				t.Fatalf("village evidence %+v", d.Village.Evidence)
			}
		}
		var n struct {
			Node *struct {
				Incident *struct{ ID string }
				Activity *struct{ ID string }
			}
		}
		h.data(t, clerk, `query($id: ID!) { node(id: $id) { ... on Evidence { incident { id } activity { id } } } }`, map[string]any{"id": viaPost.ID}, &n)
		if n.Node == nil || n.Node.Incident == nil || n.Node.Incident.ID != inc || n.Node.Activity != nil {
			t.Fatalf("node %+v", n.Node)
		}
		// Activity evidence is as it was: its activity, no incident.
		h.data(t, clerk, `query($id: ID!) { node(id: $id) { ... on Evidence { incident { id } activity { id } } } }`, map[string]any{"id": actEv.ID}, &n)
		if n.Node == nil || n.Node.Activity == nil || n.Node.Activity.ID != act.ID || n.Node.Incident != nil {
			t.Fatalf("activity evidence node %+v", n.Node)
		}
	})

	t.Run("exactly one owner", func(t *testing.T) {
		for _, in := range []map[string]any{{}, {"activityId": act.ID, "incidentId": inc}} {
			p := upload(h.admin, in, "a.png", pngImage(t, 303))
			if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "INVALID" || p.Evidence != nil {
				t.Fatalf("uploadEvidence %v: %+v", in, p)
			}
			req := maps.Clone(in)
			req["filename"], req["contentType"] = "a.png", "image/png"
			wantUserError(t, h.Do(t, h.admin, mRequestUpload, map[string]any{"in": req}), "requestEvidenceUpload", "INVALID")
		}
		// An activity's ID given as incidentId is no incident.
		p := upload(h.admin, map[string]any{"incidentId": act.ID}, "a.png", pngImage(t, 304))
		if len(p.UserErrors) != 1 || p.UserErrors[0].Code == "" || p.Evidence != nil {
			t.Fatalf("activity ID as incidentId: %+v", p)
		}
	})

	t.Run("permission", func(t *testing.T) {
		// The village's clerk and its town record activities, not incidents: their attempts are refused.
		for _, tok := range []string{clerk, town} {
			p := upload(tok, map[string]any{"incidentId": inc}, "a.png", pngImage(t, 305))
			if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "FORBIDDEN" || !slices.Equal(p.UserErrors[0].Field, []string{"input", "incidentId"}) {
				t.Fatalf("upload by a role without RECORD_PARTNER_FACTS: %+v", p)
			}
			wantUserError(t, h.Do(t, tok, mRequestUpload, map[string]any{"in": map[string]any{"incidentId": inc, "filename": "a.png", "contentType": "image/png"}}),
				"requestEvidenceUpload", "FORBIDDEN")
			wantUserError(t, h.Do(t, tok, mDeleteEvidence, map[string]any{"in": map[string]any{"id": viaMultipart.ID, "reason": "x"}}), "deleteEvidence", "FORBIDDEN")
		}
		// Read-only roles are refused by the mutations' directive.
		wantCode(t, h.Do(t, partner, mRequestUpload, map[string]any{"in": map[string]any{"incidentId": inc, "filename": "a.png", "contentType": "image/png"}}), "FORBIDDEN")
		// The clerk's own activity evidence still goes in.
		h.upload(t, clerk, act.ID, "签到表2.png", pngImage(t, 306))
	})

	t.Run("scope", func(t *testing.T) {
		p := upload(otherDistrict, map[string]any{"incidentId": inc}, "a.png", pngImage(t, 307))
		if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "NOT_FOUND" {
			t.Fatalf("another district attaches: %+v", p)
		}
		wantUserError(t, h.Do(t, otherDistrict, mDeleteEvidence, map[string]any{"in": map[string]any{"id": viaMultipart.ID, "reason": "x"}}), "deleteEvidence", "NOT_FOUND")
		for _, tok := range []string{otherDistrict, otherTown} {
			var n struct{ A, B *struct{ ID string } }
			h.data(t, tok, `query($a: ID!, $b: ID!) { a: node(id: $a) { id } b: node(id: $b) { id } }`, map[string]any{"a": inc, "b": viaMultipart.ID}, &n)
			if n.A != nil || n.B != nil {
				t.Fatalf("out of scope, reads %+v", n)
			}
		}
		p = upload(otherTown, map[string]any{"incidentId": inc}, "a.png", pngImage(t, 308))
		if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "FORBIDDEN" {
			t.Fatalf("another town attaches: %+v", p)
		}
	})

	t.Run("delete evidence, then the incident", func(t *testing.T) {
		since := h.maxAuditID(t)
		noUserErrors(t, h.Do(t, h.admin, mDeleteEvidence, map[string]any{"in": map[string]any{"id": viaMultipart.ID, "reason": "传错文件"}}), "deleteEvidence")
		var d incVillageT
		h.data(t, clerk, qIncEvidence, map[string]any{"code": v1b}, &d)
		if ev := d.Village.Incidents[0].Evidence; len(ev) != 1 || ev[0].ID != viaPost.ID {
			t.Fatalf("incident evidence after delete %+v", ev)
		}
		noUserErrors(t, h.Do(t, h.admin, mIncDelete, map[string]any{"in": map[string]any{"id": inc, "reason": "误报"}}), "deleteIncident")
		h.data(t, clerk, qIncEvidence, map[string]any{"code": v1b}, &d)
		if len(d.Village.Incidents) != 0 || d.Village.Evidence.TotalCount != 2 {
			t.Fatalf("after deleting the incident: %+v", d.Village)
		}
		for _, n := range d.Village.Evidence.Nodes {
			if n.Incident != nil {
				t.Fatalf("evidence of a deleted incident listed: %+v", n)
			}
		}
		want := []string{"evidence.delete by district_admin", "evidence.delete by district_admin", "incident.delete by district_admin"}
		if got := h.auditSinceID(t, since); !slices.Equal(got, want) {
			t.Fatalf("audit records %v, want %v", got, want)
		}
		p := upload(h.admin, map[string]any{"incidentId": inc}, "a.png", pngImage(t, 309))
		if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "NOT_FOUND" {
			t.Fatalf("upload to a deleted incident: %+v", p)
		}
	})
}
