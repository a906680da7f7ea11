package evidence_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/evidence"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Evidence of incidents (案事件): the same checks, limits, storage rules and
// audit records as an activity's, attached only by a role that may record
// incidents (RECORD_PARTNER_FACTS), in scope.

// otherDistrictCSV adds 高淳区 beside 溧水区, for scope.
const otherDistrictCSV = "code,name,parent_code\n320118,高淳区,3201\n320118001,淳溪街道,320118\n320118001201,高淳村委会,320118001\n"

// as returns a context acting with a new token of the role and scope.
func (f *fixture) as(t *testing.T, role core.Role, scope string) context.Context {
	t.Helper()
	actor, err := f.env.DB.Authenticate(f.env.System, f.env.Token(t, role, scope))
	if err != nil {
		t.Fatalf("authenticate %s@%s: %v", role, scope, err)
	}
	return core.WithActor(context.Background(), actor)
}

// incident records an incident of the village (yesterday) as the system.
func (f *fixture) incident(t *testing.T, description string) *core.Incident {
	t.Helper()
	d := time.Now().UTC().AddDate(0, 0, -1)
	i, err := f.env.DB.RecordIncident(f.env.System, f.village.ID, postgres.IncidentInput{Kind: core.IncidentMassPetition,
		OccurredOn: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), SourceDepartment: "信访局", Description: description})
	if err != nil {
		t.Fatalf("record incident: %v", err)
	}
	return i
}

// incPrefix is where the objects of an incident's uploads are kept.
func (f *fixture) incPrefix(inc *core.Incident) string {
	return "evidence/" + f.village.Code + "/incident-" + strconv.FormatInt(inc.ID, 10) + "/"
}

// wantInc checks the rows and objects of an incident, and that every live
// (not purged) evidence row of it has its object.
func (f *fixture) wantInc(t *testing.T, inc *core.Incident, want counts) {
	t.Helper()
	var got counts
	var keys []string
	err := f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
		if err := tx.Get(&got.Uploads, `SELECT count(*) FROM uploads WHERE incident_id = $1`, inc.ID); err != nil {
			return err
		}
		if err := tx.Get(&got.Pending, `SELECT count(*) FROM uploads WHERE incident_id = $1 AND status = 'pending'`, inc.ID); err != nil {
			return err
		}
		if err := tx.Get(&got.Evidence, `SELECT count(*) FROM evidence WHERE incident_id = $1`, inc.ID); err != nil {
			return err
		}
		return tx.Select(&keys, `SELECT object_key FROM evidence WHERE incident_id = $1 AND purged_at IS NULL`, inc.ID)
	})
	if err != nil {
		t.Fatalf("count rows: %v", err)
	}
	objs := f.objects(t, f.incPrefix(inc))
	got.Objects = len(objs)
	if got != want {
		t.Fatalf("incident %d: database and bucket hold %+v, want %+v", inc.ID, got, want)
	}
	for _, k := range keys {
		if !slices.Contains(objs, k) {
			t.Fatalf("evidence row for %s has no object", k)
		}
	}
}

// pendingIncidentUpload reads an incident upload's status as the system ("" when gone).
func (f *fixture) uploadStatus(t *testing.T, id int64) string {
	t.Helper()
	var st []string
	if err := f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
		return tx.Select(&st, `SELECT status FROM uploads WHERE id = $1`, id)
	}); err != nil {
		t.Fatal(err)
	}
	if len(st) == 0 {
		return ""
	}
	return st[0]
}

// auditActions lists the audit actions recorded on an object, oldest first.
func (f *fixture) auditActions(t *testing.T, objectType string, id int64) []string {
	t.Helper()
	var a []string
	if err := f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
		return tx.Select(&a, `SELECT action FROM audit_log WHERE object_type = $1 AND object_id = $2 ORDER BY id`, objectType, id)
	}); err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) uploadInc(ctx context.Context, inc *core.Incident, name string, content []byte, sha string) (*core.Evidence, error) {
	return f.env.Evidence.UploadFor(ctx, core.IncidentEvidence(inc.ID), evidence.File{Name: name, Size: int64(len(content)), Body: bytes.NewReader(content)}, sha)
}

func TestIncidentEvidence(t *testing.T) {
	f := newFixture(t)
	admin := f.as(t, core.RoleDistrictAdmin, "320117")

	t.Run("presigned POST and confirm", func(t *testing.T) {
		inc := f.incident(t, "presigned")
		content := pdfDoc("incident presigned")
		p, err := f.env.Evidence.RequestUploadFor(admin, core.IncidentEvidence(inc.ID), "信访登记表.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatalf("RequestUploadFor: %v", err)
		}
		if p.Upload.IncidentID != inc.ID || p.Upload.ActivityID != 0 || p.Upload.VillageID != f.village.ID ||
			!strings.HasPrefix(p.Upload.ObjectKey, f.incPrefix(inc)) || p.Fields["key"] != p.Upload.ObjectKey {
			t.Fatalf("reservation = %+v, fields %v", p.Upload, p.Fields)
		}
		f.wantInc(t, inc, counts{Uploads: 1, Pending: 1})
		mustPost(t, p, content)
		e, err := f.env.Evidence.ConfirmUpload(admin, p.Upload.ID, sum(content))
		if err != nil {
			t.Fatalf("ConfirmUpload: %v", err)
		}
		if e.IncidentID != inc.ID || e.ActivityID != 0 || e.VillageID != f.village.ID || e.SHA256 != sum(content) ||
			e.ContentType != "application/pdf" || e.Filename != "信访登记表.pdf" || e.ObjectKey != p.Upload.ObjectKey {
			t.Fatalf("evidence = %+v", e)
		}
		f.wantInc(t, inc, counts{Uploads: 1, Evidence: 1, Objects: 1})
		if got := f.auditActions(t, "upload", p.Upload.ID); !slices.Equal(got, []string{"upload.reserve"}) {
			t.Fatalf("upload audit %v", got)
		}
		if got := f.auditActions(t, "evidence", e.ID); !slices.Equal(got, []string{"evidence.create"}) {
			t.Fatalf("evidence audit %v", got)
		}
		// The village's clerk reads it (incidents are read in scope like every record) and downloads it.
		lists, err := f.env.DB.EvidenceByIncidents(f.clerk, []int64{inc.ID})
		if err != nil || len(lists[0]) != 1 || lists[0][0].ID != e.ID {
			t.Fatalf("EvidenceByIncidents = %v, %v", lists, err)
		}
		url, _, err := f.env.Evidence.DownloadURL(f.clerk, lists[0][0])
		if err != nil {
			t.Fatal(err)
		}
		if res, body := httpGet(t, url); res.StatusCode != 200 || !bytes.Equal(body, content) {
			t.Fatalf("download: HTTP %d, %d bytes", res.StatusCode, len(body))
		}
	})

	t.Run("presigned POST with a wrong checksum leaves nothing", func(t *testing.T) {
		inc := f.incident(t, "bad checksum")
		p, err := f.env.Evidence.RequestUploadFor(admin, core.IncidentEvidence(inc.ID), "a.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, pdfDoc("bad checksum"))
		_, err = f.env.Evidence.ConfirmUpload(admin, p.Upload.ID, sum([]byte("another file")))
		wantCode(t, err, core.ECHECKSUM)
		f.wantInc(t, inc, counts{})
	})

	t.Run("multipart", func(t *testing.T) {
		inc := f.incident(t, "multipart")
		content := pngImage(t, 200)
		e, err := f.env.Evidence.UploadFor(admin, core.IncidentEvidence(inc.ID), evidence.File{Name: "现场照片.png", Size: -1, Body: bytes.NewReader(content)}, "")
		if err != nil {
			t.Fatalf("UploadFor: %v", err)
		}
		if e.IncidentID != inc.ID || e.ActivityID != 0 || e.ContentType != "image/png" || e.Size != int64(len(content)) ||
			!strings.HasPrefix(e.ObjectKey, f.incPrefix(inc)) {
			t.Fatalf("evidence = %+v", e)
		}
		if got := f.content(t, e.ObjectKey); !bytes.Equal(got, content) {
			t.Fatal("object content differs")
		}
		f.wantInc(t, inc, counts{Uploads: 1, Evidence: 1, Objects: 1})
	})

	t.Run("multipart refusals leave nothing", func(t *testing.T) {
		inc := f.incident(t, "multipart refusals")
		_, err := f.uploadInc(admin, inc, "photo.jpg", elfHeader(), "")
		wantCode(t, err, core.EFILETYPE)
		_, err = f.uploadInc(admin, inc, "签到表.pdf", pdfDoc("mismatch"), sum([]byte("x")))
		wantCode(t, err, core.ECHECKSUM)
		f.wantInc(t, inc, counts{})

		g := newFixture(t)
		ginc := g.incident(t, "oversize")
		gadmin := g.as(t, core.RoleDistrictAdmin, "320117")
		g.setSetting(t, "evidence.max_bytes", 1000, time.Minute)
		_, err = g.env.Evidence.UploadFor(gadmin, core.IncidentEvidence(ginc.ID),
			evidence.File{Name: "大.pdf", Size: -1, Body: bytes.NewReader(pdfOfSize(t, "big", 2000))}, "")
		wantCode(t, err, core.ETOOLARGE)
		_, err = g.env.Evidence.RequestUploadFor(gadmin, core.IncidentEvidence(ginc.ID), "大.pdf", "application/pdf", 2000)
		wantCode(t, err, core.ETOOLARGE)
		g.wantInc(t, ginc, counts{})
	})

	t.Run("duplicates", func(t *testing.T) {
		inc := f.incident(t, "duplicates")
		content := pdfDoc("incident duplicate")
		first, err := f.uploadInc(admin, inc, "笔录.pdf", content, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.uploadInc(admin, inc, "笔录（副本）.pdf", content, "")
		wantCode(t, err, core.EDUPLICATE)
		f.wantInc(t, inc, counts{Uploads: 1, Evidence: 1, Objects: 1})
		// The same content on another incident and on an activity of the village is allowed, and listed.
		other := f.incident(t, "duplicates elsewhere")
		second, err := f.uploadInc(admin, other, "笔录.pdf", content, "")
		if err != nil {
			t.Fatal(err)
		}
		act := f.activity(t, "incident duplicate on an activity")
		third := f.mustUpload(t, act, "笔录.pdf", content)
		dups, err := f.env.DB.DuplicatesOf(f.clerk, []*core.Evidence{first})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, d := range dups[0] {
			ids = append(ids, d.ID)
		}
		if !slices.Equal(ids, []int64{second.ID, third.ID}) {
			t.Fatalf("duplicates of %d = %v, want %d and %d", first.ID, ids, second.ID, third.ID)
		}
	})

	t.Run("database failure after the object was written", func(t *testing.T) {
		g := newFixture(t)
		gadmin := g.as(t, core.RoleDistrictAdmin, "320117")
		inc := g.incident(t, "db failure")
		failEvidenceInserts(t, g)
		_, err := g.uploadInc(gadmin, inc, "a.pdf", pdfDoc("db failure multipart"), "")
		wantCode(t, err, core.EINTERNAL)
		content := pdfDoc("db failure presigned")
		p, err := g.env.Evidence.RequestUploadFor(gadmin, core.IncidentEvidence(inc.ID), "b.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, content)
		_, err = g.env.Evidence.ConfirmUpload(gadmin, p.Upload.ID, sum(content))
		wantCode(t, err, core.EINTERNAL)
		g.wantInc(t, inc, counts{})
	})

	t.Run("owner must be exactly one", func(t *testing.T) {
		inc := f.incident(t, "owner")
		act := f.activity(t, "owner")
		for _, o := range []core.EvidenceOwner{{}, {ActivityID: act.ID, IncidentID: inc.ID}} {
			_, err := f.env.Evidence.RequestUploadFor(admin, o, "a.pdf", "application/pdf", 0)
			wantCode(t, err, core.EINVALID)
			_, err = f.env.Evidence.UploadFor(admin, o, evidence.File{Name: "a.pdf", Size: -1, Body: bytes.NewReader(pdfDoc("owner"))}, "")
			wantCode(t, err, core.EINVALID)
		}
		f.wantInc(t, inc, counts{})
		f.want(t, act, counts{})
		_, err := f.uploadInc(admin, &core.Incident{ID: 1 << 40}, "a.pdf", pdfDoc("nowhere"), "")
		wantCode(t, err, core.ENOTFOUND)
		if keys := f.objects(t, "evidence/"+f.village.Code+"/incident-"+strconv.FormatInt(1<<40, 10)+"/"); len(keys) != 0 {
			t.Fatalf("objects %v", keys)
		}
	})

	t.Run("the database keeps one owner in the owner's village", func(t *testing.T) {
		inc := f.incident(t, "constraints")
		act := f.activity(t, "constraints")
		other, err := f.env.DB.RegionByCode(f.env.System, "320117100201")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name            string
			village         int64
			activity, incid any
			code            core.Code
		}{
			{"both owners", f.village.ID, act.ID, inc.ID, core.EINVALID},
			{"no owner", f.village.ID, nil, nil, core.EINVALID},
			{"incident of another village", other.ID, nil, inc.ID, core.ENOTFOUND},
		} {
			for _, table := range []string{"evidence", "uploads"} {
				q := `INSERT INTO evidence (village_id, activity_id, incident_id, object_key, filename, content_type, size, sha256, retain_until)
					VALUES ($1, $2, $3, $4, 'a.pdf', 'application/pdf', 1, repeat('a', 64), now())`
				if table == "uploads" {
					q = `INSERT INTO uploads (village_id, activity_id, incident_id, object_key, filename, declared_type, max_size, method, expires_at)
						VALUES ($1, $2, $3, $4, 'a.pdf', 'application/pdf', 1, 'multipart', now())`
				}
				err := f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
					_, err := tx.Exec(q, c.village, c.activity, c.incid, "test/"+table+"/"+c.name)
					return err
				})
				if core.ErrorCode(err) != c.code {
					t.Errorf("%s in %s: %v, want %s", c.name, table, err, c.code)
				}
			}
		}
	})
}

func TestIncidentEvidencePermission(t *testing.T) {
	f := newFixture(t)
	admin := f.as(t, core.RoleDistrictAdmin, "320117")
	town := f.as(t, core.RoleTownOfficial, "320117001")
	partner := f.as(t, core.RolePartnerReadonly, "320117")
	inc := f.incident(t, "permission")
	owner := core.IncidentEvidence(inc.ID)

	t.Run("roles that cannot record incidents cannot attach", func(t *testing.T) {
		// The village's clerk and town may add its activities' evidence, not an incident's.
		for name, ctx := range map[string]context.Context{"clerk": f.clerk, "town": town, "partner": partner} {
			_, err := f.env.Evidence.RequestUploadFor(ctx, owner, "a.pdf", "application/pdf", 0)
			wantCode(t, err, core.EFORBIDDEN)
			_, err = f.uploadInc(ctx, inc, "a.pdf", pdfDoc("forbidden "+name), "")
			wantCode(t, err, core.EFORBIDDEN)
			if e := core.AsError(err); !slices.Equal(e.Field, []string{"input", "incidentId"}) {
				t.Fatalf("%s: field %v", name, e.Field)
			}
			// The storage layer refuses too, whoever calls it.
			_, err = f.env.DB.ReserveUpload(ctx, postgres.NewUpload{IncidentID: inc.ID, Filename: "a.pdf", DeclaredType: "application/pdf",
				MaxSize: 1000, Method: "multipart", TTL: time.Hour})
			wantCode(t, err, core.EFORBIDDEN)
		}
		f.wantInc(t, inc, counts{})
	})

	t.Run("a clerk can neither confirm nor spoil an incident upload", func(t *testing.T) {
		content := pdfDoc("confirm permission")
		p, err := f.env.Evidence.RequestUploadFor(admin, owner, "a.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, content)
		for _, sha := range []string{sum(content), sum([]byte("wrong"))} {
			_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sha)
			wantCode(t, err, core.EFORBIDDEN)
		}
		if st := f.uploadStatus(t, p.Upload.ID); st != "pending" || !f.exists(t, p.Upload.ObjectKey) {
			t.Fatalf("after the clerk's attempts: upload %q, object kept %v", st, f.exists(t, p.Upload.ObjectKey))
		}
		e, err := f.env.Evidence.ConfirmUpload(admin, p.Upload.ID, sum(content))
		if err != nil {
			t.Fatalf("admin confirms: %v", err)
		}
		f.wantInc(t, inc, counts{Uploads: 1, Evidence: 1, Objects: 1})

		t.Run("nor delete its evidence", func(t *testing.T) {
			wantCode(t, f.env.DB.DeleteEvidence(f.clerk, e.ID, "不需要"), core.EFORBIDDEN)
			wantCode(t, f.env.DB.DeleteEvidence(town, e.ID, "不需要"), core.EFORBIDDEN)
			if got, err := f.env.DB.EvidenceByIDs(admin, []int64{e.ID}); err != nil || got[0] == nil {
				t.Fatalf("evidence after refused deletes: %v, %v", got, err)
			}
		})
	})

	t.Run("the clerk's own activity evidence is unchanged", func(t *testing.T) {
		act := f.activity(t, "clerk activity")
		e := f.mustUpload(t, act, "签到表.pdf", pdfDoc("clerk activity"))
		if e.ActivityID != act.ID || e.IncidentID != 0 || !strings.HasPrefix(e.ObjectKey, f.prefix(act)) {
			t.Fatalf("evidence = %+v", e)
		}
		wantCode(t, f.env.DB.DeleteEvidence(partner, e.ID, "x"), core.EFORBIDDEN)
		if err := f.env.DB.DeleteEvidence(f.clerk, e.ID, "重复"); err != nil {
			t.Fatalf("clerk deletes activity evidence: %v", err)
		}
	})
}

func TestIncidentEvidenceScope(t *testing.T) {
	f := newFixture(t)
	f.env.ImportCSV(t, otherDistrictCSV)
	admin := f.as(t, core.RoleDistrictAdmin, "320117")
	otherAdmin := f.as(t, core.RoleDistrictAdmin, "320118")
	otherTown := f.as(t, core.RoleTownOfficial, "320117100")
	inc := f.incident(t, "scope")
	owner := core.IncidentEvidence(inc.ID)
	e, err := f.uploadInc(admin, inc, "笔录.pdf", pdfDoc("scope"), "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.env.Evidence.RequestUploadFor(admin, owner, "b.pdf", "application/pdf", 0)
	if err != nil {
		t.Fatal(err)
	}
	content := pdfDoc("scope pending")
	mustPost(t, p, content)

	t.Run("another district cannot attach, confirm or delete", func(t *testing.T) {
		_, err := f.env.Evidence.RequestUploadFor(otherAdmin, owner, "a.pdf", "application/pdf", 0)
		wantCode(t, err, core.ENOTFOUND)
		_, err = f.uploadInc(otherAdmin, inc, "a.pdf", pdfDoc("other district"), "")
		wantCode(t, err, core.ENOTFOUND)
		_, err = f.env.Evidence.ConfirmUpload(otherAdmin, p.Upload.ID, sum(content))
		wantCode(t, err, core.ENOTFOUND)
		wantCode(t, f.env.DB.DeleteEvidence(otherAdmin, e.ID, "x"), core.ENOTFOUND)
		f.wantInc(t, inc, counts{Uploads: 2, Pending: 1, Evidence: 1, Objects: 2})
	})

	t.Run("another district or town cannot see", func(t *testing.T) {
		for name, ctx := range map[string]context.Context{"other district": otherAdmin, "other town": otherTown} {
			if _, err := f.env.DB.IncidentByID(ctx, inc.ID); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("%s reads the incident: %v", name, err)
			}
			lists, err := f.env.DB.EvidenceByIncidents(ctx, []int64{inc.ID})
			if err != nil || len(lists[0]) != 0 {
				t.Fatalf("%s lists %v, %v", name, lists, err)
			}
			byID, err := f.env.DB.EvidenceByIDs(ctx, []int64{e.ID})
			if err != nil || byID[0] != nil {
				t.Fatalf("%s reads evidence %v, %v", name, byID, err)
			}
		}
		// Another town has no RECORD_PARTNER_FACTS: refused by role before scope is even looked at.
		_, err := f.uploadInc(otherTown, inc, "a.pdf", pdfDoc("other town"), "")
		wantCode(t, err, core.EFORBIDDEN)
	})

	t.Run("the district confirms its own", func(t *testing.T) {
		if _, err := f.env.Evidence.ConfirmUpload(admin, p.Upload.ID, sum(content)); err != nil {
			t.Fatal(err)
		}
		f.wantInc(t, inc, counts{Uploads: 2, Evidence: 2, Objects: 2})
	})
}

func TestIncidentEvidenceDeleteAndRetention(t *testing.T) {
	f := newFixture(t)
	admin := f.as(t, core.RoleDistrictAdmin, "320117")

	t.Run("delete keeps the object until retention, then the sweep purges it", func(t *testing.T) {
		inc := f.incident(t, "retention")
		longKept, err := f.uploadInc(admin, inc, "十年保存.pdf", pdfDoc("incident long"), "")
		if err != nil {
			t.Fatal(err)
		}
		f.setSetting(t, "evidence.retention_days", 0, time.Minute)
		defer f.setSetting(t, "evidence.retention_days", 3650, 0)
		short, err := f.uploadInc(admin, inc, "立即可清除.pdf", pdfDoc("incident short"), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []*core.Evidence{longKept, short} {
			if err := f.env.DB.DeleteEvidence(admin, e.ID, "上传错了"); err != nil {
				t.Fatalf("DeleteEvidence: %v", err)
			}
			if !f.exists(t, e.ObjectKey) {
				t.Fatal("deleting evidence removed its object")
			}
		}
		if lists, err := f.env.DB.EvidenceByIncidents(admin, []int64{inc.ID}); err != nil || len(lists[0]) != 0 {
			t.Fatalf("deleted evidence still listed: %v, %v", lists, err)
		}
		res, err := f.env.Evidence.Sweep(f.env.System)
		if err != nil || res != (evidence.SweepResult{Purged: 1}) {
			t.Fatalf("Sweep = %+v, %v; want 1 purged", res, err)
		}
		if f.exists(t, short.ObjectKey) || !f.exists(t, longKept.ObjectKey) {
			t.Fatal("the sweep purged the wrong object")
		}
		f.wantInc(t, inc, counts{Uploads: 2, Evidence: 2, Objects: 1})
		if got := f.auditActions(t, "evidence", short.ID); !slices.Equal(got, []string{"evidence.create", "evidence.delete", "evidence.purge"}) {
			t.Fatalf("audit of the purged evidence: %v", got)
		}
	})

	t.Run("an unconfirmed incident upload is swept", func(t *testing.T) {
		inc := f.incident(t, "sweep")
		p, err := f.env.Evidence.RequestUploadFor(admin, core.IncidentEvidence(inc.ID), "a.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, pdfDoc("incident sweep"))
		f.expireUpload(t, p.Upload.ID)
		res, err := f.env.Evidence.Sweep(f.env.System)
		if err != nil || res != (evidence.SweepResult{Uploads: 1}) {
			t.Fatalf("Sweep = %+v, %v; want 1 upload", res, err)
		}
		f.wantInc(t, inc, counts{})
		if got := f.auditActions(t, "upload", p.Upload.ID); !slices.Equal(got, []string{"upload.reserve", "upload.drop"}) {
			t.Fatalf("upload audit %v", got)
		}
	})

	t.Run("deleting the incident deletes its evidence and keeps the objects", func(t *testing.T) {
		inc := f.incident(t, "deleted incident")
		a, err := f.uploadInc(admin, inc, "a.pdf", pdfDoc("deleted incident a"), "")
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.uploadInc(admin, inc, "b.png", pngImage(t, 201), "")
		if err != nil {
			t.Fatal(err)
		}
		content := pdfDoc("deleted incident pending")
		p, err := f.env.Evidence.RequestUploadFor(admin, core.IncidentEvidence(inc.ID), "c.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, content)

		if err := f.env.DB.DeleteIncident(admin, inc.ID, "误报"); err != nil {
			t.Fatalf("DeleteIncident: %v", err)
		}
		if _, err := f.env.DB.IncidentByID(admin, inc.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("deleted incident still read: %v", err)
		}
		if got, err := f.env.DB.EvidenceByIDs(admin, []int64{a.ID, b.ID}); err != nil || got[0] != nil || got[1] != nil {
			t.Fatalf("evidence of a deleted incident still read: %v, %v", got, err)
		}
		for _, e := range []*core.Evidence{a, b} {
			if !f.exists(t, e.ObjectKey) {
				t.Fatal("deleting the incident removed an object")
			}
			if got := f.auditActions(t, "evidence", e.ID); !slices.Equal(got, []string{"evidence.create", "evidence.delete"}) {
				t.Fatalf("audit of evidence %d: %v", e.ID, got)
			}
		}
		// The pending upload can no longer be linked: refused, object and reservation removed.
		_, err = f.env.Evidence.ConfirmUpload(admin, p.Upload.ID, sum(content))
		wantCode(t, err, core.ENOTFOUND)
		if f.exists(t, p.Upload.ObjectKey) || f.uploadStatus(t, p.Upload.ID) != "" {
			t.Fatal("the refused confirmation left its object or reservation")
		}
		_, err = f.uploadInc(admin, inc, "d.pdf", pdfDoc("deleted incident new"), "")
		wantCode(t, err, core.ENOTFOUND)
		wantCode(t, f.env.DB.DeleteIncident(admin, inc.ID, "again"), core.ENOTFOUND)
		f.wantInc(t, inc, counts{Uploads: 2, Evidence: 2, Objects: 2})
	})

	t.Run("a deleted activity takes no more evidence either", func(t *testing.T) {
		act := f.activity(t, "deleted activity pending")
		content := pdfDoc("deleted activity pending")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "a.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, content)
		if _, err := f.env.DB.DeleteActivity(f.clerk, act.ID, "重复登记"); err != nil {
			t.Fatal(err)
		}
		_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		wantCode(t, err, core.ENOTFOUND)
		f.want(t, act, counts{})
	})
}
