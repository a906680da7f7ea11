package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/objectstore"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Service takes evidence files in (by presigned POST or streamed multipart),
// checks them and links them to their owner (an activity or an incident),
// hands out download links, and
// sweeps what was never confirmed. The rule it keeps: a database row for
// evidence exists only when its object does, and an object is never left
// without a row that will clean it up.
type Service struct {
	DB    *postgres.DB
	Store objectstore.Interface
	Log   *slog.Logger
}

// settings in force now, read once per call.
type settings struct {
	maxBytes    int64
	retention   time.Duration
	uploadTTL   time.Duration
	downloadTTL time.Duration
}

func (s *Service) settings(ctx context.Context) (settings, error) {
	st := s.DB.Settings()
	var out settings
	var err error
	read := func(key string) int64 {
		if err != nil {
			return 0
		}
		var v int64
		v, err = st.Int64(ctx, key)
		return v
	}
	out.maxBytes = read("evidence.max_bytes")
	out.retention = time.Duration(read("evidence.retention_days")) * 24 * time.Hour
	out.uploadTTL = time.Duration(read("evidence.upload_ttl_seconds")) * time.Second
	out.downloadTTL = time.Duration(read("evidence.download_ttl_seconds")) * time.Second
	return out, err
}

// cleanName keeps a user's file name for display and downloads, without paths
// or control characters.
func cleanName(name string) (string, error) {
	name = path.Base(strings.ReplaceAll(strings.TrimSpace(name), `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == "/" || !utf8.ValidString(name) || len(name) > 255 {
		return "", core.Errorf(core.EINVALID, "文件名无效", "invalid file name").WithField("input", "filename")
	}
	return name, nil
}

func tooLarge(max int64) *core.Error {
	return core.Errorf(core.ETOOLARGE, "文件超过大小上限 %d 字节", "the file is larger than the limit of %d bytes", max).WithField("input", "file")
}

// Pending is a reserved browser upload: POST the fields and the file to URL.
type Pending struct {
	Upload  *core.Upload
	URL     string
	Fields  map[string]string
	MaxSize int64
}

// RequestUpload reserves a browser upload for an activity (RequestUploadFor
// with core.ActivityEvidence).
func (s *Service) RequestUpload(ctx context.Context, activityID int64, filename, contentType string, maxSize int64) (*Pending, error) {
	return s.RequestUploadFor(ctx, core.ActivityEvidence(activityID), filename, contentType, maxSize)
}

// checkOwner refuses an owner that is not exactly one of activity and
// incident, and a caller without the owner's permission (an incident's
// evidence takes RECORD_PARTNER_FACTS), before anything is read or stored.
func checkOwner(ctx context.Context, o core.EvidenceOwner) error {
	if err := o.Check(); err != nil {
		return err
	}
	_, err := o.Require(ctx, "input", o.InputField())
	return err
}

// RequestUploadFor reserves a browser upload for an activity or an incident
// and returns a presigned POST policy: the storage enforces the key, the
// content type and the size range. maxSize 0 means the setting's limit.
func (s *Service) RequestUploadFor(ctx context.Context, owner core.EvidenceOwner, filename, contentType string, maxSize int64) (*Pending, error) {
	if err := checkOwner(ctx, owner); err != nil {
		return nil, err
	}
	st, err := s.settings(ctx)
	if err != nil {
		return nil, err
	}
	name, err := cleanName(filename)
	if err != nil {
		return nil, err
	}
	ct := NormalizeDeclared(contentType)
	if !IsAllowed(ct) {
		return nil, core.Errorf(core.EFILETYPE, "不允许的文件类型：%s（允许：JPEG、PNG、WebP、HEIC、PDF、Office 文档）",
			"file type not allowed: %s (allowed: JPEG, PNG, WebP, HEIC, PDF, Office documents)", contentType).WithField("input", "contentType")
	}
	if maxSize <= 0 || maxSize > st.maxBytes {
		if maxSize > st.maxBytes {
			return nil, tooLarge(st.maxBytes).WithField("input", "maxSize")
		}
		maxSize = st.maxBytes
	}
	u, err := s.DB.ReserveUpload(ctx, postgres.NewUpload{ActivityID: owner.ActivityID, IncidentID: owner.IncidentID,
		Filename: name, DeclaredType: ct, MaxSize: maxSize, Method: "presigned_post", TTL: st.uploadTTL})
	if err != nil {
		return nil, err
	}
	url, fields, err := s.Store.PresignPost(ctx, objectstore.PostPolicy{Key: u.ObjectKey, ContentType: ct,
		MinSize: 1, MaxSize: maxSize, Expires: st.uploadTTL})
	if err != nil {
		s.drop(ctx, u)
		return nil, err
	}
	return &Pending{Upload: u, URL: url, Fields: fields, MaxSize: maxSize}, nil
}

// ConfirmUpload checks a browser-uploaded object (present, size within the
// limit, content of an allowed type matching the declared one, SHA-256 equal
// to the browser's) and links it to its activity or incident. A failed check
// removes the object and the reservation; a caller without the owner's
// permission is refused before anything is read or removed.
func (s *Service) ConfirmUpload(ctx context.Context, uploadID int64, sha string) (*core.Evidence, error) {
	st, err := s.settings(ctx)
	if err != nil {
		return nil, err
	}
	sha = strings.ToLower(strings.TrimSpace(sha))
	if !validSHA(sha) {
		return nil, core.Errorf(core.EINVALID, "SHA-256 应为 64 位十六进制", "sha256 must be 64 hex digits").WithField("input", "sha256")
	}
	u, err := s.DB.UploadByID(ctx, uploadID)
	if err != nil {
		return nil, err
	}
	if u.Status != "pending" {
		return nil, core.Errorf(core.ECONFLICT, "该上传已确认", "this upload was already confirmed").WithField("input", "uploadId")
	}
	if _, err := u.Owner().Require(ctx, "input", "uploadId"); err != nil {
		return nil, err // someone else's upload: not ours to check or discard
	}
	rc, info, err := s.Store.Open(ctx, u.ObjectKey)
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND {
			return nil, core.Errorf(core.ENOTFOUND, "文件尚未上传到存储", "the file has not been uploaded yet").WithField("input", "uploadId")
		}
		return nil, err
	}
	defer rc.Close()
	fail := func(err error) (*core.Evidence, error) {
		s.discard(ctx, u)
		return nil, err
	}
	if info.Size > u.MaxSize {
		return fail(tooLarge(u.MaxSize))
	}
	kind, body, err := Sniff(rc)
	if err != nil {
		return fail(err)
	}
	if !sameType(kind.MIME, u.DeclaredType) {
		return fail(core.Errorf(core.EFILETYPE, "文件内容（%s）与声明的类型（%s）不符", "the content (%s) does not match the declared type (%s)",
			kind.MIME, u.DeclaredType))
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(body, u.MaxSize+1))
	if err != nil {
		return nil, err // storage trouble: keep the upload for a retry
	}
	if n > u.MaxSize {
		return fail(tooLarge(u.MaxSize))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return fail(core.Errorf(core.ECHECKSUM, "SHA-256 校验不符：文件为 %s", "SHA-256 mismatch: the file's is %s", got).WithField("input", "sha256"))
	}
	return s.link(ctx, u, postgres.CheckedObject{ContentType: kind.MIME, Size: n, SHA256: sha, Retention: st.retention})
}

// File is a file received in a GraphQL multipart request.
type File struct {
	Name string
	Size int64 // as announced by the request; -1 when unknown
	Body io.Reader
}

// Upload streams a small file into storage for an activity (UploadFor with
// core.ActivityEvidence).
func (s *Service) Upload(ctx context.Context, activityID int64, f File, sha string) (*core.Evidence, error) {
	return s.UploadFor(ctx, core.ActivityEvidence(activityID), f, sha)
}

// UploadFor streams a small file into storage (never holding it whole in
// memory), checks it as ConfirmUpload does and links it to the activity or
// incident. sha, when not empty, must match the content.
func (s *Service) UploadFor(ctx context.Context, owner core.EvidenceOwner, f File, sha string) (*core.Evidence, error) {
	if err := checkOwner(ctx, owner); err != nil {
		return nil, err
	}
	st, err := s.settings(ctx)
	if err != nil {
		return nil, err
	}
	name, err := cleanName(f.Name)
	if err != nil {
		return nil, err
	}
	if f.Size > st.maxBytes {
		return nil, tooLarge(st.maxBytes)
	}
	sha = strings.ToLower(strings.TrimSpace(sha))
	if sha != "" && !validSHA(sha) {
		return nil, core.Errorf(core.EINVALID, "SHA-256 应为 64 位十六进制", "sha256 must be 64 hex digits").WithField("input", "sha256")
	}
	kind, body, err := Sniff(f.Body)
	if err != nil {
		return nil, err
	}
	u, err := s.DB.ReserveUpload(ctx, postgres.NewUpload{ActivityID: owner.ActivityID, IncidentID: owner.IncidentID,
		Filename: name, DeclaredType: kind.MIME, MaxSize: st.maxBytes, Method: "multipart", TTL: st.uploadTTL})
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	counted := &byteCounter{r: io.TeeReader(io.LimitReader(body, st.maxBytes+1), h)}
	if _, err := s.Store.Put(ctx, u.ObjectKey, counted, -1, kind.MIME); err != nil {
		// An S3 PUT is atomic: a failed one leaves no object (minio-go aborts
		// its multipart upload), so only the reservation goes.
		s.drop(ctx, u)
		return nil, err
	}
	if counted.n > st.maxBytes {
		s.discard(ctx, u)
		return nil, tooLarge(st.maxBytes)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if sha != "" && got != sha {
		s.discard(ctx, u)
		return nil, core.Errorf(core.ECHECKSUM, "SHA-256 校验不符：文件为 %s", "SHA-256 mismatch: the file's is %s", got).WithField("input", "sha256")
	}
	return s.link(ctx, u, postgres.CheckedObject{ContentType: kind.MIME, Size: counted.n, SHA256: got, Retention: st.retention})
}

// link records the evidence row; if the database fails, the object is removed
// at once (and, should that fail too, the pending reservation lets the sweep
// remove it later). A CONFLICT means another call confirmed the upload
// meanwhile: the object is that evidence's now and stays.
func (s *Service) link(ctx context.Context, u *core.Upload, obj postgres.CheckedObject) (*core.Evidence, error) {
	e, err := s.DB.LinkEvidence(ctx, u.ID, obj)
	if err != nil {
		if core.ErrorCode(err) != core.ECONFLICT {
			s.discard(ctx, u)
		}
		return nil, err
	}
	return e, nil
}

// discard removes an upload's object and its reservation, best effort; what
// is left is removed by the sweep.
func (s *Service) discard(ctx context.Context, u *core.Upload) {
	ctx = context.WithoutCancel(ctx)
	if err := s.Store.Remove(ctx, u.ObjectKey); err != nil {
		s.Log.Warn("evidence: could not remove object, the sweep will", "upload_id", u.ID, "err", err)
		return
	}
	s.drop(ctx, u)
}

func (s *Service) drop(ctx context.Context, u *core.Upload) {
	if err := s.DB.DropUpload(context.WithoutCancel(ctx), u.ID); err != nil {
		s.Log.Warn("evidence: could not drop upload reservation, the sweep will", "upload_id", u.ID, "err", err)
	}
}

// DownloadURL returns a short-lived link to the evidence's file, with its expiry.
// The caller must have read the evidence in its own scope.
func (s *Service) DownloadURL(ctx context.Context, e *core.Evidence) (string, time.Time, error) {
	st, err := s.settings(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	url, err := s.Store.PresignGet(ctx, e.ObjectKey, e.Filename, st.downloadTTL)
	return url, s.DB.Now().Add(st.downloadTTL), err
}

// SweepResult counts what a sweep removed.
type SweepResult struct {
	Uploads int // expired unconfirmed uploads removed (object and reservation)
	Purged  int // deleted evidence whose retention ended, object removed
}

// Sweep removes unconfirmed uploads whose time ran out, with their objects,
// and the objects of deleted evidence whose retention has ended.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	for {
		ups, err := s.DB.ExpiredUploads(ctx, 500)
		if err != nil {
			return res, err
		}
		for _, u := range ups {
			if err := s.Store.Remove(ctx, u.ObjectKey); err != nil {
				return res, fmt.Errorf("sweep upload %d: %w", u.ID, err)
			}
			if err := s.DB.DropUpload(ctx, u.ID); err != nil {
				return res, err
			}
			res.Uploads++
		}
		if len(ups) < 500 {
			break
		}
	}
	for {
		evs, err := s.DB.PurgeableEvidence(ctx, 500)
		if err != nil {
			return res, err
		}
		for _, e := range evs {
			if err := s.Store.Remove(ctx, e.ObjectKey); err != nil {
				return res, fmt.Errorf("purge evidence %d: %w", e.ID, err)
			}
			if err := s.DB.MarkPurged(ctx, e.ID); err != nil {
				return res, err
			}
			res.Purged++
		}
		if len(evs) < 500 {
			break
		}
	}
	return res, nil
}

func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

type byteCounter struct {
	r io.Reader
	n int64
}

func (c *byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// sameType compares a sniffed type with a declared one; HEIC and HEIF are one
// family (a HEIF file whose brand is mif1 sniffs as image/heif).
func sameType(sniffed, declared string) bool {
	family := func(t string) string {
		if t == "image/heic" || t == "image/heif" {
			return "heif"
		}
		return t
	}
	return family(sniffed) == family(declared)
}
