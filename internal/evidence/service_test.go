package evidence_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/devstack"
	"github.com/lawvillage/lawvillage/internal/evidence"
	"github.com/lawvillage/lawvillage/internal/objectstore"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// villageCode is 秋湖村委会 in apptest.TwoTownsCSV; the tests act as its clerk.
const villageCode = "320117001201"

// fixture is a running platform with the two-towns hierarchy loaded and a
// clerk of one village.
type fixture struct {
	env     *apptest.Env
	clerk   context.Context
	village *core.Region
}

func newFixture(t *testing.T, opts ...apptest.Options) *fixture {
	t.Helper()
	env := apptest.New(t, opts...)
	env.ImportCSV(t, apptest.TwoTownsCSV)
	v, err := env.DB.RegionByCode(env.System, villageCode)
	if err != nil {
		t.Fatalf("village %s: %v", villageCode, err)
	}
	actor, err := env.DB.Authenticate(env.System, env.Token(t, core.RoleVillageClerk, villageCode))
	if err != nil {
		t.Fatalf("authenticate clerk: %v", err)
	}
	return &fixture{env: env, clerk: core.WithActor(context.Background(), actor), village: v}
}

// activity records an activity of the village (yesterday, so never in the future).
func (f *fixture) activity(t *testing.T, title string) *core.Activity {
	t.Helper()
	d := time.Now().UTC().AddDate(0, 0, -1)
	a, err := f.env.DB.RecordActivity(f.env.System, f.village.ID, postgres.ActivityInput{
		Kind: core.ActivityLecture, Date: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), Title: title})
	if err != nil {
		t.Fatalf("record activity: %v", err)
	}
	return a
}

// setSetting puts a new value of a setting in force since `ago` before now.
func (f *fixture) setSetting(t *testing.T, key string, value any, ago time.Duration) {
	t.Helper()
	if err := f.env.DB.Settings().Set(f.env.System, key, value, time.Now().Add(-ago), "test"); err != nil {
		t.Fatalf("set %s: %v", key, err)
	}
}

// prefix is where the objects of an activity's uploads are kept.
func (f *fixture) prefix(act *core.Activity) string {
	return "evidence/" + f.village.Code + "/" + strconv.FormatInt(act.ID, 10) + "/"
}

// objects lists the keys in the bucket under prefix.
func (f *fixture) objects(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	for info, err := range f.env.Store.List(context.Background(), prefix) {
		if err != nil {
			t.Fatalf("list %q: %v", prefix, err)
		}
		keys = append(keys, info.Key)
	}
	return keys
}

// counts is what the database and the bucket hold for one activity.
type counts struct {
	Uploads  int // upload reservations, pending or confirmed
	Pending  int // of which pending
	Evidence int // evidence rows, deleted or not
	Objects  int // objects under the activity's prefix
}

func (f *fixture) counts(t *testing.T, act *core.Activity) counts {
	t.Helper()
	var c counts
	err := f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
		if err := tx.Get(&c.Uploads, `SELECT count(*) FROM uploads WHERE activity_id = $1`, act.ID); err != nil {
			return err
		}
		if err := tx.Get(&c.Pending, `SELECT count(*) FROM uploads WHERE activity_id = $1 AND status = 'pending'`, act.ID); err != nil {
			return err
		}
		return tx.Get(&c.Evidence, `SELECT count(*) FROM evidence WHERE activity_id = $1`, act.ID)
	})
	if err != nil {
		t.Fatalf("count rows: %v", err)
	}
	c.Objects = len(f.objects(t, f.prefix(act)))
	return c
}

// want checks the rows and objects of an activity, and that every live
// (not purged) evidence row of it has its object.
func (f *fixture) want(t *testing.T, act *core.Activity, want counts) {
	t.Helper()
	if got := f.counts(t, act); got != want {
		t.Fatalf("activity %d: database and bucket hold %+v, want %+v", act.ID, got, want)
	}
	var keys []string
	err := f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
		return tx.Select(&keys, `SELECT object_key FROM evidence WHERE activity_id = $1 AND purged_at IS NULL`, act.ID)
	})
	if err != nil {
		t.Fatalf("evidence keys: %v", err)
	}
	objs := f.objects(t, f.prefix(act))
	for _, k := range keys {
		if !slices.Contains(objs, k) {
			t.Fatalf("evidence row for %s has no object", k)
		}
	}
}

// exists reports whether the object is in the bucket.
func (f *fixture) exists(t *testing.T, key string) bool {
	t.Helper()
	_, err := f.env.Store.Stat(context.Background(), key)
	switch core.ErrorCode(err) {
	case "":
		return true
	case core.ENOTFOUND:
		return false
	}
	t.Fatalf("stat %s: %v", key, err)
	return false
}

// content returns the object's bytes.
func (f *fixture) content(t *testing.T, key string) []byte {
	t.Helper()
	rc, _, err := f.env.Store.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// upload sends a file through the multipart path, its size announced.
func (f *fixture) upload(ctx context.Context, act *core.Activity, name string, content []byte, sha string) (*core.Evidence, error) {
	return f.env.Evidence.Upload(ctx, act.ID, evidence.File{Name: name, Size: int64(len(content)), Body: bytes.NewReader(content)}, sha)
}

// mustUpload uploads a file that must be accepted.
func (f *fixture) mustUpload(t *testing.T, act *core.Activity, name string, content []byte) *core.Evidence {
	t.Helper()
	e, err := f.upload(f.clerk, act, name, content, sum(content))
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	return e
}

// uploadRow reads an upload reservation as the system (ok false when gone).
func (f *fixture) uploadRow(t *testing.T, id int64) (u core.Upload, ok bool) {
	t.Helper()
	var rows []core.Upload
	err := f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
		return tx.Select(&rows, `SELECT id, village_id, activity_id, object_key, filename, declared_type, max_size, method,
			status, created_at, expires_at FROM uploads WHERE id = $1`, id)
	})
	if err != nil {
		t.Fatalf("read upload %d: %v", id, err)
	}
	if len(rows) == 0 {
		return core.Upload{}, false
	}
	return rows[0], true
}

// expireUpload moves an upload's expiry into the past.
func (f *fixture) expireUpload(t *testing.T, id int64) {
	t.Helper()
	err := f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
		n, err := tx.Exec(`UPDATE uploads SET expires_at = now() - interval '1 hour' WHERE id = $1`, id)
		if err == nil && n != 1 {
			err = errors.New("no such upload")
		}
		return err
	})
	if err != nil {
		t.Fatalf("expire upload %d: %v", id, err)
	}
}

// wantCode fails the test unless err carries the application error code.
func wantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %s, got none", code)
	}
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("want error %s, got %s: %v", code, got, err)
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// pdfDoc is a small PDF whose content (and so SHA-256) depends on label.
func pdfDoc(label string) []byte {
	return []byte("%PDF-1.4\n%" + label + "\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n" +
		"trailer << /Root 1 0 R >>\n%%EOF\n")
}

// pdfOfSize is pdfDoc padded with a comment line to exactly n bytes.
func pdfOfSize(t *testing.T, label string, n int) []byte {
	t.Helper()
	base := pdfDoc(label)
	pad := n - len(base)
	if pad < 2 {
		t.Fatalf("pdfOfSize: %d bytes is too small", n)
	}
	out := append([]byte("%PDF-1.4\n%"+strings.Repeat("x", pad-2)+"\n"), base[len("%PDF-1.4\n"):]...)
	if len(out) != n {
		t.Fatalf("pdfOfSize: got %d bytes, want %d", len(out), n)
	}
	return out
}

// pngImage is a small PNG whose pixels depend on shade.
func pngImage(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{uint8(x * 30), uint8(y * 30), shade, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// elfHeader is the start of a 64-bit little-endian Linux executable.
func elfHeader() []byte {
	b := make([]byte, 256)
	copy(b, "\x7fELF\x02\x01\x01\x00")
	b[16], b[18] = 2, 0x3e // ET_EXEC, x86-64
	b[20] = 1              // EV_CURRENT
	return b
}

// postForm sends a browser's presigned POST: every field (in a fixed order),
// then the file part last with the given Content-Type header.
func postForm(t *testing.T, target string, fields map[string]string, partType string, content []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if err := w.WriteField(k, fields[k]); err != nil {
			t.Fatal(err)
		}
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="file"; filename="upload"`)
	h.Set("Content-Type", partType)
	fw, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, target, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// mustPost uploads content by the pending upload's presigned POST.
func mustPost(t *testing.T, p *evidence.Pending, content []byte) {
	t.Helper()
	if status, body := postForm(t, p.URL, p.Fields, p.Fields["Content-Type"], content); status/100 != 2 {
		t.Fatalf("presigned POST: %d %s", status, body)
	}
}

// httpGet downloads a URL.
func httpGet(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET body: %v", err)
	}
	return res, b
}

// hookStore is the real object store with a hook that runs once before the
// first Open or Remove, to replay an interleaving of two requests exactly.
type hookStore struct {
	objectstore.Interface
	mu           sync.Mutex
	beforeOpen   func()
	beforeRemove func()
}

func (h *hookStore) take(p *func()) func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := *p
	*p = nil
	return f
}

func (h *hookStore) Open(ctx context.Context, key string) (io.ReadCloser, objectstore.Info, error) {
	if f := h.take(&h.beforeOpen); f != nil {
		f()
	}
	return h.Interface.Open(ctx, key)
}

func (h *hookStore) Remove(ctx context.Context, key string) error {
	if f := h.take(&h.beforeRemove); f != nil {
		f()
	}
	return h.Interface.Remove(ctx, key)
}

// TestPresignedPost covers the browser path: RequestUpload, a real POST to
// the storage, then ConfirmUpload.
func TestPresignedPost(t *testing.T) {
	f := newFixture(t)

	t.Run("happy path", func(t *testing.T) {
		act := f.activity(t, "presigned happy path")
		content := pdfDoc("happy")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, `C:\Users\clerk\2026年法治讲座签到表.pdf`, "application/pdf", 0)
		if err != nil {
			t.Fatalf("RequestUpload: %v", err)
		}
		if p.Upload.Status != "pending" || p.Upload.Method != "presigned_post" || !strings.HasPrefix(p.Upload.ObjectKey, f.prefix(act)) {
			t.Fatalf("reservation = %+v", p.Upload)
		}
		if p.MaxSize != 50<<20 || p.Fields["Content-Type"] != "application/pdf" || p.Fields["key"] != p.Upload.ObjectKey {
			t.Fatalf("policy: max %d, fields %v", p.MaxSize, p.Fields)
		}
		f.want(t, act, counts{Uploads: 1, Pending: 1})
		mustPost(t, p, content)
		f.want(t, act, counts{Uploads: 1, Pending: 1, Objects: 1})

		e, err := f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, strings.ToUpper(sum(content)))
		if err != nil {
			t.Fatalf("ConfirmUpload: %v", err)
		}
		if e.Size != int64(len(content)) || e.ContentType != "application/pdf" || e.SHA256 != sum(content) ||
			e.Filename != "2026年法治讲座签到表.pdf" || e.ObjectKey != p.Upload.ObjectKey ||
			e.ActivityID != act.ID || e.VillageID != f.village.ID {
			t.Fatalf("evidence = %+v", e)
		}
		f.want(t, act, counts{Uploads: 1, Evidence: 1, Objects: 1})
		info, err := f.env.Store.Stat(context.Background(), e.ObjectKey)
		if err != nil || info.Size != int64(len(content)) || info.ContentType != "application/pdf" {
			t.Fatalf("object: %+v, %v", info, err)
		}
		if got := f.content(t, e.ObjectKey); !bytes.Equal(got, content) {
			t.Fatalf("object content differs")
		}
		got, err := f.env.DB.EvidenceByIDs(f.clerk, []int64{e.ID})
		if err != nil || got[0] == nil || got[0].SHA256 != e.SHA256 {
			t.Fatalf("EvidenceByIDs = %v, %v", got, err)
		}
	})

	t.Run("wrong sha256", func(t *testing.T) {
		act := f.activity(t, "presigned wrong sha")
		content := pdfDoc("wrong sha")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, content)
		_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum([]byte("something else")))
		wantCode(t, err, core.ECHECKSUM)
		f.want(t, act, counts{})
		if f.exists(t, p.Upload.ObjectKey) {
			t.Fatal("object kept after checksum mismatch")
		}
	})

	t.Run("malformed sha256", func(t *testing.T) {
		act := f.activity(t, "presigned malformed sha")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, pdfDoc("malformed"))
		_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, "not-a-sha")
		wantCode(t, err, core.EINVALID)
		// A typo is not a verdict on the file: the upload stays for a retry.
		f.want(t, act, counts{Uploads: 1, Pending: 1, Objects: 1})
	})

	t.Run("declared png but pdf content", func(t *testing.T) {
		act := f.activity(t, "presigned type mismatch")
		content := pdfDoc("not a png")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "现场照片.png", "image/png", 0)
		if err != nil {
			t.Fatal(err)
		}
		// The storage refuses any Content-Type but the declared one...
		other := withField(p.Fields, "Content-Type", "application/pdf")
		if status, body := postForm(t, p.URL, other, "application/pdf", content); status != http.StatusForbidden {
			t.Fatalf("POST with another Content-Type: %d %s, want 403", status, body)
		}
		f.want(t, act, counts{Uploads: 1, Pending: 1})
		// ...but cannot look inside: the declared header with PDF bytes gets in.
		if status, body := postForm(t, p.URL, p.Fields, "image/png", content); status/100 != 2 {
			t.Fatalf("POST: %d %s", status, body)
		}
		f.want(t, act, counts{Uploads: 1, Pending: 1, Objects: 1})
		_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		wantCode(t, err, core.EFILETYPE)
		f.want(t, act, counts{})
	})

	t.Run("declared png but html content", func(t *testing.T) {
		act := f.activity(t, "presigned html")
		content := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "photo.png", "image/png", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, content)
		_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		wantCode(t, err, core.EFILETYPE)
		f.want(t, act, counts{})
	})

	t.Run("declared type not allowed", func(t *testing.T) {
		act := f.activity(t, "presigned declared html")
		_, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "page.html", "text/html", 0)
		wantCode(t, err, core.EFILETYPE)
		f.want(t, act, counts{})
	})

	t.Run("unknown activity", func(t *testing.T) {
		_, err := f.env.Evidence.RequestUpload(f.clerk, 1<<40, "签到表.pdf", "application/pdf", 0)
		wantCode(t, err, core.ENOTFOUND)
	})

	t.Run("confirm before upload", func(t *testing.T) {
		act := f.activity(t, "presigned confirm early")
		content := pdfDoc("early")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		wantCode(t, err, core.ENOTFOUND)
		// The reservation stays so the browser can still upload and confirm.
		f.want(t, act, counts{Uploads: 1, Pending: 1})
		mustPost(t, p, content)
		if _, err := f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content)); err != nil {
			t.Fatalf("confirm after the upload: %v", err)
		}
		f.want(t, act, counts{Uploads: 1, Evidence: 1, Objects: 1})
	})

	t.Run("unknown upload", func(t *testing.T) {
		_, err := f.env.Evidence.ConfirmUpload(f.clerk, 1<<40, sum([]byte("x")))
		wantCode(t, err, core.ENOTFOUND)
	})

	t.Run("confirm twice", func(t *testing.T) {
		act := f.activity(t, "presigned confirm twice")
		content := pdfDoc("twice")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, content)
		e, err := f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		wantCode(t, err, core.ECONFLICT)
		f.want(t, act, counts{Uploads: 1, Evidence: 1, Objects: 1})
		if !f.exists(t, e.ObjectKey) {
			t.Fatal("second confirm removed the evidence's object")
		}
	})

	t.Run("oversize", func(t *testing.T) {
		f := newFixture(t)
		act := f.activity(t, "presigned oversize")
		f.setSetting(t, "evidence.max_bytes", 1000, time.Minute)

		_, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 5000)
		wantCode(t, err, core.ETOOLARGE)
		f.want(t, act, counts{})

		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.MaxSize != 1000 || p.Upload.MaxSize != 1000 {
			t.Fatalf("max size %d / %d, want the setting 1000", p.MaxSize, p.Upload.MaxSize)
		}
		big := pdfOfSize(t, "big", 2000)
		status, body := postForm(t, p.URL, p.Fields, "application/pdf", big)
		if status != http.StatusBadRequest || !strings.Contains(body, "EntityTooLarge") {
			t.Fatalf("2000-byte POST: %d %s, want 400 EntityTooLarge", status, body)
		}
		f.want(t, act, counts{Uploads: 1, Pending: 1})

		// Should an oversize object get past the storage anyway (written
		// directly), the confirmation refuses and removes it.
		if _, err := f.env.Store.Put(context.Background(), p.Upload.ObjectKey, bytes.NewReader(big), int64(len(big)), "application/pdf"); err != nil {
			t.Fatal(err)
		}
		_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(big))
		wantCode(t, err, core.ETOOLARGE)
		f.want(t, act, counts{})

		// Within the limit it goes through.
		p, err = f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 1000)
		if err != nil {
			t.Fatal(err)
		}
		small := pdfOfSize(t, "small", 1000)
		mustPost(t, p, small)
		if _, err := f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(small)); err != nil {
			t.Fatalf("confirm 1000 bytes: %v", err)
		}
		f.want(t, act, counts{Uploads: 1, Evidence: 1, Objects: 1})
	})
}

// withField returns a copy of the form fields with k set to v.
func withField(m map[string]string, k, v string) map[string]string {
	out := maps.Clone(m)
	out[k] = v
	return out
}

// TestMultipartUpload covers files streamed through the server (Service.Upload).
func TestMultipartUpload(t *testing.T) {
	f := newFixture(t)

	t.Run("happy path", func(t *testing.T) {
		act := f.activity(t, "multipart happy path")
		content := pngImage(t, 1)
		e, err := f.env.Evidence.Upload(f.clerk, act.ID, evidence.File{Name: "现场照片.png", Size: -1, Body: bytes.NewReader(content)}, "")
		if err != nil {
			t.Fatalf("Upload: %v", err)
		}
		if e.Size != int64(len(content)) || e.ContentType != "image/png" || e.SHA256 != sum(content) ||
			e.Filename != "现场照片.png" || e.ActivityID != act.ID || !strings.HasPrefix(e.ObjectKey, f.prefix(act)) {
			t.Fatalf("evidence = %+v", e)
		}
		f.want(t, act, counts{Uploads: 1, Evidence: 1, Objects: 1})
		if got := f.content(t, e.ObjectKey); !bytes.Equal(got, content) {
			t.Fatal("object content differs")
		}
		u, ok := f.uploadRow(t, evidenceUploadID(t, f, e.ID))
		if !ok || u.Method != "multipart" || u.Status != "confirmed" || u.ObjectKey != e.ObjectKey {
			t.Fatalf("upload row = %+v (found %v)", u, ok)
		}
	})

	t.Run("client sha256 matches", func(t *testing.T) {
		act := f.activity(t, "multipart with sha")
		content := pdfDoc("multipart with sha")
		e, err := f.upload(f.clerk, act, "签到表.pdf", content, strings.ToUpper(sum(content)))
		if err != nil {
			t.Fatalf("Upload: %v", err)
		}
		if e.SHA256 != sum(content) || e.ContentType != "application/pdf" {
			t.Fatalf("evidence = %+v", e)
		}
		f.want(t, act, counts{Uploads: 1, Evidence: 1, Objects: 1})
	})

	t.Run("client sha256 mismatch", func(t *testing.T) {
		act := f.activity(t, "multipart sha mismatch")
		_, err := f.upload(f.clerk, act, "签到表.pdf", pdfDoc("mismatch"), sum([]byte("another file")))
		wantCode(t, err, core.ECHECKSUM)
		f.want(t, act, counts{})
	})

	t.Run("disallowed type", func(t *testing.T) {
		for _, c := range []struct {
			name    string
			file    string
			content []byte
		}{
			{"text", "说明.txt", []byte("这是一个普通的文本文件，不是证明材料。\nplain text\n")},
			{"html", "page.pdf", []byte("<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>")},
			{"elf", "photo.jpg", elfHeader()},
			{"empty", "empty.pdf", nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				act := f.activity(t, "multipart disallowed "+c.name)
				_, err := f.upload(f.clerk, act, c.file, c.content, "")
				wantCode(t, err, core.EFILETYPE)
				f.want(t, act, counts{})
			})
		}
	})

	t.Run("invalid file name", func(t *testing.T) {
		act := f.activity(t, "multipart bad name")
		_, err := f.upload(f.clerk, act, "  ", pdfDoc("bad name"), "")
		wantCode(t, err, core.EINVALID)
		f.want(t, act, counts{})
	})

	t.Run("same file twice on one activity", func(t *testing.T) {
		act := f.activity(t, "multipart duplicate")
		content := pdfDoc("duplicate")
		first := f.mustUpload(t, act, "签到表.pdf", content)
		_, err := f.upload(f.clerk, act, "签到表（副本）.pdf", content, "")
		wantCode(t, err, core.EDUPLICATE)
		f.want(t, act, counts{Uploads: 1, Evidence: 1, Objects: 1})
		if keys := f.objects(t, f.prefix(act)); len(keys) != 1 || keys[0] != first.ObjectKey {
			t.Fatalf("objects %v, want only the first %s", keys, first.ObjectKey)
		}
	})

	t.Run("same file on another activity", func(t *testing.T) {
		act1 := f.activity(t, "multipart shared file 1")
		act2 := f.activity(t, "multipart shared file 2")
		content := pdfDoc("shared")
		first := f.mustUpload(t, act1, "签到表.pdf", content)
		second := f.mustUpload(t, act2, "签到表.pdf", content)
		if second.ObjectKey == first.ObjectKey {
			t.Fatal("two evidence rows share one object")
		}
		f.want(t, act1, counts{Uploads: 1, Evidence: 1, Objects: 1})
		f.want(t, act2, counts{Uploads: 1, Evidence: 1, Objects: 1})
		dups, err := f.env.DB.DuplicatesOf(f.clerk, []*core.Evidence{second, first})
		if err != nil {
			t.Fatal(err)
		}
		if len(dups[0]) != 1 || dups[0][0].ID != first.ID || len(dups[1]) != 1 || dups[1][0].ID != second.ID {
			t.Fatalf("DuplicatesOf = %v", dups)
		}
	})

	t.Run("unknown activity", func(t *testing.T) {
		_, err := f.upload(f.clerk, &core.Activity{ID: 1 << 40}, "签到表.pdf", pdfDoc("nowhere"), "")
		wantCode(t, err, core.ENOTFOUND)
		if keys := f.objects(t, "evidence/"+f.village.Code+"/"+strconv.FormatInt(1<<40, 10)+"/"); len(keys) != 0 {
			t.Fatalf("objects %v", keys)
		}
	})

	t.Run("oversize", func(t *testing.T) {
		f := newFixture(t)
		act := f.activity(t, "multipart oversize")
		f.setSetting(t, "evidence.max_bytes", 1000, time.Minute)
		big := pdfOfSize(t, "big", 2000)

		t.Run("size announced", func(t *testing.T) {
			_, err := f.upload(f.clerk, act, "签到表.pdf", big, "")
			wantCode(t, err, core.ETOOLARGE)
			f.want(t, act, counts{})
		})
		t.Run("size unknown", func(t *testing.T) {
			// The stream is cut after the limit, stored, found too large and removed.
			_, err := f.env.Evidence.Upload(f.clerk, act.ID, evidence.File{Name: "签到表.pdf", Size: -1, Body: bytes.NewReader(big)}, "")
			wantCode(t, err, core.ETOOLARGE)
			f.want(t, act, counts{})
		})
		t.Run("at the limit", func(t *testing.T) {
			e, err := f.env.Evidence.Upload(f.clerk, act.ID, evidence.File{Name: "签到表.pdf", Size: -1,
				Body: bytes.NewReader(pdfOfSize(t, "limit", 1000))}, "")
			if err != nil {
				t.Fatalf("1000 bytes: %v", err)
			}
			if e.Size != 1000 {
				t.Fatalf("size %d", e.Size)
			}
			f.want(t, act, counts{Uploads: 1, Evidence: 1, Objects: 1})
		})
	})
}

// evidenceUploadID returns the upload an evidence row came from.
func evidenceUploadID(t *testing.T, f *fixture, id int64) int64 {
	t.Helper()
	var up int64
	err := f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
		return tx.Get(&up, `SELECT upload_id FROM evidence WHERE id = $1`, id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return up
}

// TestStorageDown runs a MinIO of its own, stops it, and checks that an
// upload fails with UNAVAILABLE leaving no row, and that a restarted server
// still serves the earlier file.
func TestStorageDown(t *testing.T) {
	// apptest connects with the test S3 credentials (under `devstack exec`
	// these are devstack.DevS3AccessKey / DevS3SecretKey).
	_, ak, sk, _ := testenv.S3Config(t)
	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	opts := devstack.MinioOptions{DataDir: filepath.Join(t.TempDir(), "data"), Port: port, AccessKey: ak, SecretKey: sk}
	ctx := context.Background()
	m, err := devstack.StartMinio(ctx, opts)
	if err != nil {
		t.Fatalf("start MinIO: %v", err)
	}
	t.Cleanup(func() { _ = m.Stop() }) // before the data folder is removed

	f := newFixture(t, apptest.Options{S3Endpoint: m.Endpoint()})
	act := f.activity(t, "storage down")
	content := pdfDoc("before the outage")
	first := f.mustUpload(t, act, "停电前的签到表.pdf", content)
	f.want(t, act, counts{Uploads: 1, Evidence: 1, Objects: 1})

	if err := m.Stop(); err != nil {
		t.Fatalf("stop MinIO: %v", err)
	}

	t.Run("upload fails unavailable", func(t *testing.T) {
		start := time.Now()
		_, err := f.upload(f.clerk, act, "停电时的签到表.pdf", pdfDoc("during the outage"), "")
		t.Logf("upload while down took %v: %v", time.Since(start), err)
		wantCode(t, err, core.EUNAVAILABLE)
		if took := time.Since(start); took > 15*time.Second {
			t.Errorf("upload while down took %v", took)
		}
		var n struct {
			Uploads  int `db:"uploads"`
			Evidence int `db:"evidence"`
		}
		err = f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
			return tx.Get(&n, `SELECT (SELECT count(*) FROM uploads) AS uploads, (SELECT count(*) FROM evidence) AS evidence`)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n.Uploads != 1 || n.Evidence != 1 {
			t.Fatalf("after the failed upload: %d uploads, %d evidence rows, want 1 and 1", n.Uploads, n.Evidence)
		}
	})

	t.Run("request upload needs no storage", func(t *testing.T) {
		// Presigning is local: the reservation works while the storage is down,
		// and the sweep removes it should the browser never manage to upload.
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatalf("RequestUpload while down: %v", err)
		}
		_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		wantCode(t, err, core.EUNAVAILABLE)
		if u, ok := f.uploadRow(t, p.Upload.ID); !ok || u.Status != "pending" {
			t.Fatalf("reservation after a confirm while down: %+v (found %v), want kept pending", u, ok)
		}
		if err := f.env.DB.DropUpload(f.env.System, p.Upload.ID); err != nil {
			t.Fatal(err)
		}
	})

	m2, err := devstack.StartMinio(ctx, opts)
	if err != nil {
		t.Fatalf("restart MinIO: %v", err)
	}
	t.Cleanup(func() { _ = m2.Stop() })

	t.Run("first file survives restart", func(t *testing.T) {
		f.want(t, act, counts{Uploads: 1, Evidence: 1, Objects: 1})
		u, _, err := f.env.Evidence.DownloadURL(f.clerk, first)
		if err != nil {
			t.Fatal(err)
		}
		res, body := httpGet(t, u)
		if res.StatusCode != http.StatusOK || !bytes.Equal(body, content) {
			t.Fatalf("download after restart: %d, %d bytes", res.StatusCode, len(body))
		}
		second := f.mustUpload(t, act, "恢复后的签到表.pdf", pdfDoc("after the outage"))
		if !f.exists(t, second.ObjectKey) {
			t.Fatal("upload after restart left no object")
		}
		f.want(t, act, counts{Uploads: 2, Evidence: 2, Objects: 2})
	})
}

// failEvidenceInserts makes every INSERT into evidence fail until the test ends.
func failEvidenceInserts(t *testing.T, f *fixture) {
	t.Helper()
	err := f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
		if _, err := tx.Exec(`CREATE FUNCTION lv_test_fail_evidence() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'evidence insert fails (test)'; END $$`); err != nil {
			return err
		}
		_, err := tx.Exec(`CREATE TRIGGER lv_test_fail_evidence BEFORE INSERT ON evidence
			FOR EACH ROW EXECUTE FUNCTION lv_test_fail_evidence()`)
		return err
	})
	if err != nil {
		t.Fatalf("create failing trigger: %v", err)
	}
}

// TestDatabaseFailureAfterObjectWritten makes the evidence INSERT fail after
// the object is in the bucket: the object must go at once, with its reservation.
func TestDatabaseFailureAfterObjectWritten(t *testing.T) {
	f := newFixture(t)
	failEvidenceInserts(t, f)

	t.Run("multipart", func(t *testing.T) {
		act := f.activity(t, "db failure multipart")
		_, err := f.upload(f.clerk, act, "签到表.pdf", pdfDoc("db failure multipart"), "")
		wantCode(t, err, core.EINTERNAL)
		if !strings.Contains(err.Error(), "evidence insert fails (test)") {
			t.Fatalf("error %v is not the trigger's", err)
		}
		f.want(t, act, counts{})
	})

	t.Run("presigned confirm", func(t *testing.T) {
		act := f.activity(t, "db failure presigned")
		content := pdfDoc("db failure presigned")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, content)
		_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		wantCode(t, err, core.EINTERNAL)
		f.want(t, act, counts{})
		if f.exists(t, p.Upload.ObjectKey) {
			t.Fatal("object kept after the database failed")
		}
	})
}

// TestSweep checks that expired unconfirmed uploads are removed with their
// objects, once, and nothing else.
func TestSweep(t *testing.T) {
	f := newFixture(t)
	act := f.activity(t, "sweep")
	ctx := context.Background()
	reserve := func(t *testing.T, ttl time.Duration, withObject bool) *core.Upload {
		t.Helper()
		u, err := f.env.DB.ReserveUpload(f.clerk, postgres.NewUpload{ActivityID: act.ID, Filename: "签到表.pdf",
			DeclaredType: "application/pdf", MaxSize: 1 << 20, Method: "presigned_post", TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		if withObject {
			c := pdfDoc(u.ObjectKey)
			if _, err := f.env.Store.Put(ctx, u.ObjectKey, bytes.NewReader(c), int64(len(c)), "application/pdf"); err != nil {
				t.Fatal(err)
			}
		}
		return u
	}

	var expired, fresh *core.Upload
	t.Run("expired upload is removed with its object", func(t *testing.T) {
		expired = reserve(t, -time.Hour, true)
		fresh = reserve(t, time.Hour, true)
		kept := f.mustUpload(t, act, "已确认.pdf", pdfDoc("confirmed"))
		f.want(t, act, counts{Uploads: 3, Pending: 2, Evidence: 1, Objects: 3})

		res, err := f.env.Evidence.Sweep(f.env.System)
		if err != nil {
			t.Fatalf("Sweep: %v", err)
		}
		if res != (evidence.SweepResult{Uploads: 1}) {
			t.Fatalf("Sweep = %+v, want 1 upload", res)
		}
		if f.exists(t, expired.ObjectKey) {
			t.Fatal("expired upload's object kept")
		}
		if _, ok := f.uploadRow(t, expired.ID); ok {
			t.Fatal("expired reservation kept")
		}
		if !f.exists(t, fresh.ObjectKey) || !f.exists(t, kept.ObjectKey) {
			t.Fatal("sweep removed an object it should keep")
		}
		f.want(t, act, counts{Uploads: 2, Pending: 1, Evidence: 1, Objects: 2})
	})

	t.Run("second sweep does nothing", func(t *testing.T) {
		res, err := f.env.Evidence.Sweep(f.env.System)
		if err != nil {
			t.Fatalf("Sweep: %v", err)
		}
		if res != (evidence.SweepResult{}) {
			t.Fatalf("second Sweep = %+v, want nothing", res)
		}
		f.want(t, act, counts{Uploads: 2, Pending: 1, Evidence: 1, Objects: 2})
	})

	t.Run("recently expired upload waits out the grace period", func(t *testing.T) {
		u := reserve(t, -time.Minute, false)
		res, err := f.env.Evidence.Sweep(f.env.System)
		if err != nil || res != (evidence.SweepResult{}) {
			t.Fatalf("Sweep = %+v, %v; want nothing within the grace period", res, err)
		}
		f.expireUpload(t, u.ID)
		if res, err := f.env.Evidence.Sweep(f.env.System); err != nil || res.Uploads != 1 {
			t.Fatalf("Sweep after the grace period = %+v, %v", res, err)
		}
	})

	t.Run("expired upload never written", func(t *testing.T) {
		u := reserve(t, -time.Hour, false)
		res, err := f.env.Evidence.Sweep(f.env.System)
		if err != nil || res != (evidence.SweepResult{Uploads: 1}) {
			t.Fatalf("Sweep = %+v, %v; want 1 upload", res, err)
		}
		if _, ok := f.uploadRow(t, u.ID); ok {
			t.Fatal("reservation kept")
		}
		f.want(t, act, counts{Uploads: 2, Pending: 1, Evidence: 1, Objects: 2})
	})
}

// TestDeleteAndPurge checks that deleting evidence keeps its object until
// the retention ends, and that the sweep then purges it.
func TestDeleteAndPurge(t *testing.T) {
	f := newFixture(t)
	act := f.activity(t, "delete and purge")

	// Uploaded under the default retention (ten years).
	longKept := f.mustUpload(t, act, "十年保存.pdf", pdfDoc("long retention"))
	// Uploaded with no retention.
	f.setSetting(t, "evidence.retention_days", 0, time.Minute)
	short := f.mustUpload(t, act, "立即可清除.pdf", pdfDoc("no retention"))
	live := f.mustUpload(t, act, "保留.pdf", pdfDoc("live"))
	f.want(t, act, counts{Uploads: 3, Evidence: 3, Objects: 3})

	t.Run("delete keeps the object", func(t *testing.T) {
		err := f.env.DB.DeleteEvidence(f.clerk, short.ID, "")
		wantCode(t, err, core.EINVALID)
		for _, e := range []*core.Evidence{longKept, short} {
			if err := f.env.DB.DeleteEvidence(f.clerk, e.ID, "上传错了"); err != nil {
				t.Fatalf("DeleteEvidence: %v", err)
			}
			if !f.exists(t, e.ObjectKey) {
				t.Fatal("deleting evidence removed its object")
			}
		}
		got, err := f.env.DB.EvidenceByIDs(f.clerk, []int64{longKept.ID, short.ID, live.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != nil || got[1] != nil || got[2] == nil || got[2].ID != live.ID {
			t.Fatalf("EvidenceByIDs after delete = %v", got)
		}
		wantCode(t, f.env.DB.DeleteEvidence(f.clerk, short.ID, "again"), core.ENOTFOUND)
		f.want(t, act, counts{Uploads: 3, Evidence: 3, Objects: 3})
	})

	t.Run("sweep purges after retention", func(t *testing.T) {
		res, err := f.env.Evidence.Sweep(f.env.System)
		if err != nil {
			t.Fatalf("Sweep: %v", err)
		}
		if res != (evidence.SweepResult{Purged: 1}) {
			t.Fatalf("Sweep = %+v, want 1 purged", res)
		}
		if f.exists(t, short.ObjectKey) {
			t.Fatal("purged object still in the bucket")
		}
		if !f.exists(t, longKept.ObjectKey) {
			t.Fatal("object within its retention was purged")
		}
		if !f.exists(t, live.ObjectKey) {
			t.Fatal("live evidence's object was purged")
		}
		purged := map[int64]bool{}
		var rows []struct {
			ID     int64      `db:"id"`
			Purged *time.Time `db:"purged_at"`
		}
		err = f.env.DB.AsSystem(f.env.System, func(tx *postgres.Tx) error {
			return tx.Select(&rows, `SELECT id, purged_at FROM evidence WHERE activity_id = $1`, act.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			purged[r.ID] = r.Purged != nil
		}
		if !purged[short.ID] || purged[longKept.ID] || purged[live.ID] {
			t.Fatalf("purged_at set on %v, want only %d", purged, short.ID)
		}
		f.want(t, act, counts{Uploads: 3, Evidence: 3, Objects: 2})

		res, err = f.env.Evidence.Sweep(f.env.System)
		if err != nil || res != (evidence.SweepResult{}) {
			t.Fatalf("second Sweep = %+v, %v; want nothing", res, err)
		}
	})
}

// TestDownloadURL checks the bytes, the file name and the expiry of a download link.
func TestDownloadURL(t *testing.T) {
	f := newFixture(t)
	act := f.activity(t, "download")
	content := pngImage(t, 7)
	const name = "2026年5月法治讲座 现场照片（一）.png"
	e := f.mustUpload(t, act, name, content)

	t.Run("bytes and file name", func(t *testing.T) {
		f.setSetting(t, "evidence.download_ttl_seconds", 120, 2*time.Minute)
		before := time.Now()
		u, expires, err := f.env.Evidence.DownloadURL(f.clerk, e)
		if err != nil {
			t.Fatal(err)
		}
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		if got := pu.Query().Get("X-Amz-Expires"); got != "120" {
			t.Fatalf("X-Amz-Expires = %q, want 120 (the setting)", got)
		}
		if d := expires.Sub(before); d < 115*time.Second || d > 125*time.Second {
			t.Fatalf("expiry in %v, want about 120s", d)
		}
		res, body := httpGet(t, u)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET: %d %s", res.StatusCode, body)
		}
		if !bytes.Equal(body, content) {
			t.Fatalf("downloaded %d bytes, not the uploaded %d", len(body), len(content))
		}
		if ct := res.Header.Get("Content-Type"); ct != "image/png" {
			t.Fatalf("Content-Type %q", ct)
		}
		disp, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
		if err != nil || disp != "attachment" || params["filename"] != name {
			t.Fatalf("Content-Disposition %q: %s %v %v", res.Header.Get("Content-Disposition"), disp, params, err)
		}
	})

	t.Run("link expires", func(t *testing.T) {
		f.setSetting(t, "evidence.download_ttl_seconds", 1, time.Minute)
		u, _, err := f.env.Evidence.DownloadURL(f.clerk, e)
		if err != nil {
			t.Fatal(err)
		}
		pu, _ := url.Parse(u)
		if got := pu.Query().Get("X-Amz-Expires"); got != "1" {
			t.Fatalf("X-Amz-Expires = %q, want 1", got)
		}
		time.Sleep(3 * time.Second)
		res, body := httpGet(t, u)
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("GET of an expired link: %d %s, want 403", res.StatusCode, body)
		}
	})
}

// TestConfirmRaces replays, step by step, two requests that meet on one
// upload, and checks that no evidence row is left without its object.
func TestConfirmRaces(t *testing.T) {
	f := newFixture(t)

	t.Run("double confirm keeps the object", func(t *testing.T) {
		act := f.activity(t, "double confirm")
		content := pdfDoc("double click")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, content)
		// The second click's confirmation reads the object only after the
		// first one has linked it.
		var first *core.Evidence
		var firstErr error
		hooked := &hookStore{Interface: f.env.Store, beforeOpen: func() {
			first, firstErr = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		}}
		svc := &evidence.Service{DB: f.env.DB, Store: hooked, Log: f.env.Log}
		_, err = svc.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		if firstErr != nil {
			t.Fatalf("first confirm: %v", firstErr)
		}
		wantCode(t, err, core.ECONFLICT)
		f.want(t, act, counts{Uploads: 1, Evidence: 1, Objects: 1})
		dl, _, err := f.env.Evidence.DownloadURL(f.clerk, first)
		if err != nil {
			t.Fatal(err)
		}
		if res, body := httpGet(t, dl); res.StatusCode != http.StatusOK || !bytes.Equal(body, content) {
			t.Fatalf("download: %d, %d bytes", res.StatusCode, len(body))
		}
	})

	t.Run("confirm after expiry", func(t *testing.T) {
		act := f.activity(t, "late confirm")
		content := pdfDoc("late")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, content)
		f.expireUpload(t, p.Upload.ID)
		_, err = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		wantCode(t, err, core.ENOTFOUND)
		f.want(t, act, counts{})
	})

	t.Run("confirm while the sweep removes the upload", func(t *testing.T) {
		act := f.activity(t, "confirm during sweep")
		content := pdfDoc("swept")
		p, err := f.env.Evidence.RequestUpload(f.clerk, act.ID, "签到表.pdf", "application/pdf", 0)
		if err != nil {
			t.Fatal(err)
		}
		mustPost(t, p, content)
		f.expireUpload(t, p.Upload.ID)
		// The sweep has listed the expired upload; the clerk's confirmation
		// runs to its end before the sweep removes the object.
		var confirmErr error
		hooked := &hookStore{Interface: f.env.Store, beforeRemove: func() {
			_, confirmErr = f.env.Evidence.ConfirmUpload(f.clerk, p.Upload.ID, sum(content))
		}}
		sweeper := &evidence.Service{DB: f.env.DB, Store: hooked, Log: f.env.Log}
		res, err := sweeper.Sweep(f.env.System)
		if err != nil {
			t.Fatalf("Sweep: %v", err)
		}
		if res.Uploads != 1 {
			t.Fatalf("Sweep = %+v, want 1 upload", res)
		}
		wantCode(t, confirmErr, core.ENOTFOUND)
		f.want(t, act, counts{})
	})
}
