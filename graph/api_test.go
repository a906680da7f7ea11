package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/core"
)

// The hierarchy of apptest.TwoTownsCSV.
const (
	district = "320117"
	town1    = "320117001"    // 永阳街道
	town2    = "320117100"    // 白马镇
	v1a      = "320117001001" // 东门社区居委会 (a community)
	v1b      = "320117001201" // 秋湖村委会
	v2a      = "320117100201" // 白马村委会
	v2b      = "320117100202" // 石头寨村委会
)

// harness is a running platform loaded with the two towns and a district_admin token.
type harness struct {
	*apptest.Env
	admin string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	e := apptest.New(t)
	e.ImportCSV(t, apptest.TwoTownsCSV)
	return &harness{Env: e, admin: e.Token(t, core.RoleDistrictAdmin, district)}
}

// data runs a request that must succeed without errors and decodes its data into out.
func (h *harness) data(t testing.TB, token, query string, vars map[string]any, out any) {
	t.Helper()
	r := h.Do(t, token, query, vars)
	if r.Status != http.StatusOK {
		t.Fatalf("HTTP %d: %+v", r.Status, r.Errors)
	}
	r.Decode(t, out)
}

// failsWith runs a request that must answer with a top-level error of the code.
func (h *harness) failsWith(t testing.TB, token, query string, vars map[string]any, code string) *apptest.Response {
	t.Helper()
	r := h.Do(t, token, query, vars)
	wantCode(t, r, code)
	return r
}

func wantCode(t testing.TB, r *apptest.Response, code string) {
	t.Helper()
	if got := r.Code(); got != code {
		t.Fatalf("error code = %q, want %q (errors %+v, data %s)", got, code, r.Errors, r.Data)
	}
}

// userError is a payload's userErrors entry.
type userError struct {
	Field     []string `json:"field"`
	Message   string   `json:"message"`
	MessageEn string   `json:"messageEn"`
	Code      string   `json:"code"`
}

const ueFields = `userErrors { field message messageEn code }`

// field decodes data[name] of a response without top-level errors into out.
func field(t testing.TB, r *apptest.Response, name string, out any) {
	t.Helper()
	var m map[string]json.RawMessage
	r.Decode(t, &m)
	raw, ok := m[name]
	if !ok {
		t.Fatalf("no %s in %s", name, r.Data)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// wantUserError checks that the mutation payload has exactly one user error, of the code.
func wantUserError(t testing.TB, r *apptest.Response, mutation, code string) userError {
	t.Helper()
	var p struct {
		UserErrors []userError `json:"userErrors"`
	}
	field(t, r, mutation, &p)
	if len(p.UserErrors) != 1 || p.UserErrors[0].Code != code {
		t.Fatalf("%s userErrors = %+v, want one %s (data %s)", mutation, p.UserErrors, code, r.Data)
	}
	ue := p.UserErrors[0]
	if ue.Message == "" || ue.MessageEn == "" {
		t.Fatalf("%s user error without both messages: %+v", mutation, ue)
	}
	return ue
}

// noUserErrors checks that the mutation payload reports no user errors.
func noUserErrors(t testing.TB, r *apptest.Response, mutation string) {
	t.Helper()
	var p struct {
		UserErrors []userError `json:"userErrors"`
	}
	field(t, r, mutation, &p)
	if len(p.UserErrors) != 0 {
		t.Fatalf("%s userErrors = %+v", mutation, p.UserErrors)
	}
}

// fakeID builds a well-formed global ID of the type for an object that does not exist.
func fakeID(typ string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":987654321"))
}

// retype turns a global ID into one of another type with the same number.
func retype(t testing.TB, id, typ string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	_, n, ok := strings.Cut(string(b), ":")
	if !ok {
		t.Fatalf("id %q is not Type:n", b)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + n))
}

// pngImage makes a small valid PNG whose content depends on seed.
func pngImage(t testing.TB, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{R: uint8(seed), G: uint8(seed >> 8), B: uint8(x * y), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func shanghaiNow() time.Time {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return time.Now().In(loc)
}

// GraphQL documents used by several tests.
const (
	qVillageID     = `query($code: DivisionCode!) { village(code: $code) { id } }`
	qRegionID      = `query($code: DivisionCode!) { region(code: $code) { id } }`
	mUpdateVillage = `mutation($in: UpdateVillageInput!) { updateVillage(input: $in) {
		village { id code kind householdCount version } ` + ueFields + ` } }`
	mAddGrid = `mutation($in: AddVillagePartInput!) { addGrid(input: $in) {
		grid { id name village { code } } ` + ueFields + ` } }`
	mAddGroup = `mutation($in: AddVillagePartInput!) { addVillagerGroup(input: $in) {
		villagerGroup { id name village { code } } ` + ueFields + ` } }`
	titleFields = `id level batch year status decisionDocument version village { code }
		history { at action fromStatus toStatus reason decisionDocument decidedOn actorName }`
	mAwardTitle    = `mutation($in: AwardTitleInput!) { awardTitle(input: $in) { title { ` + titleFields + ` } ` + ueFields + ` } }`
	mChangeTitle   = `mutation($in: ChangeTitleStatusInput!) { changeTitleStatus(input: $in) { title { ` + titleFields + ` } ` + ueFields + ` } }`
	activityFields = `id kind date title place organiser participants description version createdAt village { code } evidence { id sha256 }`
	mRecord        = `mutation($in: RecordActivityInput!) { recordActivity(input: $in) { activity { ` + activityFields + ` } ` + ueFields + ` } }`
	mUpdateAct     = `mutation($in: UpdateActivityInput!) { updateActivity(input: $in) { activity { ` + activityFields + ` } ` + ueFields + ` } }`
	mDeleteAct     = `mutation($in: DeleteActivityInput!) { deleteActivity(input: $in) { activity { id title } ` + ueFields + ` } }`
	evidenceFields = `id filename contentType size sha256 createdAt downloadUrl downloadUrlExpiresAt activity { id } duplicates { id }`
	mUpload        = `mutation($in: UploadEvidenceInput!) { uploadEvidence(input: $in) { evidence { ` + evidenceFields + ` } ` + ueFields + ` } }`
	mRequestUpload = `mutation($in: RequestEvidenceUploadInput!) { requestEvidenceUpload(input: $in) {
		upload { id url fields { name value } expiresAt maxSize } ` + ueFields + ` } }`
	mConfirm        = `mutation($in: ConfirmEvidenceUploadInput!) { confirmEvidenceUpload(input: $in) { evidence { ` + evidenceFields + ` } ` + ueFields + ` } }`
	mDeleteEvidence = `mutation($in: DeleteEvidenceInput!) { deleteEvidence(input: $in) { deletedId ` + ueFields + ` } }`
	tokenFields     = `id name role scope { code } hint createdAt expiresAt revokedAt lastUsedAt`
	mCreateToken    = `mutation($in: CreateTokenInput!) { createToken(input: $in) { token { ` + tokenFields + ` } secret ` + ueFields + ` } }`
	mRevokeToken    = `mutation($in: RevokeTokenInput!) { revokeToken(input: $in) { token { ` + tokenFields + ` } ` + ueFields + ` } }`
	mImport         = `mutation($in: ImportRegionsInput!) { importRegions(input: $in) {
		inserted updated unchanged ` + ueFields + ` rowErrors { row column message messageEn } } }`
)

type activityT struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	Date         string `json:"date"`
	Title        string `json:"title"`
	Place        string `json:"place"`
	Organiser    string `json:"organiser"`
	Participants *int   `json:"participants"`
	Description  string `json:"description"`
	Version      int    `json:"version"`
	CreatedAt    time.Time
	Village      struct{ Code string }
	Evidence     []struct {
		ID     string `json:"id"`
		Sha256 string `json:"sha256"`
	}
}

type evidenceT struct {
	ID                   string    `json:"id"`
	Filename             string    `json:"filename"`
	ContentType          string    `json:"contentType"`
	Size                 int       `json:"size"`
	Sha256               string    `json:"sha256"`
	CreatedAt            time.Time `json:"createdAt"`
	DownloadURL          string    `json:"downloadUrl"`
	DownloadURLExpiresAt time.Time `json:"downloadUrlExpiresAt"`
	Activity             struct{ ID string }
	Duplicates           []struct{ ID string }
}

type titleEventT struct {
	At               time.Time `json:"at"`
	Action           string    `json:"action"`
	FromStatus       *string   `json:"fromStatus"`
	ToStatus         string    `json:"toStatus"`
	Reason           *string   `json:"reason"`
	DecisionDocument *string   `json:"decisionDocument"`
	DecidedOn        *string   `json:"decidedOn"`
	ActorName        string    `json:"actorName"`
}

type titleT struct {
	ID               string  `json:"id"`
	Level            string  `json:"level"`
	Batch            *int    `json:"batch"`
	Year             int     `json:"year"`
	Status           string  `json:"status"`
	DecisionDocument *string `json:"decisionDocument"`
	Version          int     `json:"version"`
	Village          struct{ Code string }
	History          []titleEventT `json:"history"`
}

type tokenT struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	Scope      struct{ Code string }
	Hint       string     `json:"hint"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

type pageInfoT struct {
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage bool    `json:"hasPreviousPage"`
	StartCursor     *string `json:"startCursor"`
	EndCursor       *string `json:"endCursor"`
}

const pageInfoFields = `pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`

func (h *harness) villageID(t testing.TB, token, code string) string {
	t.Helper()
	var d struct{ Village *struct{ ID string } }
	h.data(t, token, qVillageID, map[string]any{"code": code}, &d)
	if d.Village == nil {
		t.Fatalf("village %s not visible", code)
	}
	return d.Village.ID
}

func (h *harness) regionID(t testing.TB, token, code string) string {
	t.Helper()
	var d struct{ Region *struct{ ID string } }
	h.data(t, token, qRegionID, map[string]any{"code": code}, &d)
	if d.Region == nil {
		t.Fatalf("region %s not visible", code)
	}
	return d.Region.ID
}

// record records an activity that must succeed.
func (h *harness) record(t testing.TB, token, villageID, kind, date, title string) activityT {
	t.Helper()
	r := h.Do(t, token, mRecord, map[string]any{"in": map[string]any{
		"villageId": villageID, "kind": kind, "date": date, "title": title,
		"place": "村委会议室", "organiser": "司法所", "participants": 30, "description": "法治宣传"}})
	noUserErrors(t, r, "recordActivity")
	var p struct{ Activity activityT }
	field(t, r, "recordActivity", &p)
	return p.Activity
}

// upload sends evidence through GraphQL multipart; it must succeed.
func (h *harness) upload(t testing.TB, token, activityID, filename string, content []byte) evidenceT {
	t.Helper()
	r := h.Upload(t, token, mUpload, map[string]any{"in": map[string]any{"activityId": activityID, "file": nil}},
		"variables.in.file", filename, content)
	noUserErrors(t, r, "uploadEvidence")
	var p struct{ Evidence evidenceT }
	field(t, r, "uploadEvidence", &p)
	return p.Evidence
}

// award awards a provincial title that must succeed.
func (h *harness) award(t testing.TB, token, villageID string, batch, year int) titleT {
	t.Helper()
	r := h.Do(t, token, mAwardTitle, map[string]any{"in": map[string]any{
		"villageId": villageID, "level": "PROVINCIAL", "batch": batch, "year": year,
		"decisionDocument": fmt.Sprintf("苏法宣〔%d〕%d号", year, batch), "decidedOn": fmt.Sprintf("%d-06-30", year)}})
	noUserErrors(t, r, "awardTitle")
	var p struct{ Title titleT }
	field(t, r, "awardTitle", &p)
	return p.Title
}

// createToken issues a token through the API; it must succeed.
func (h *harness) createToken(t testing.TB, token, name, role, scope string) (tokenT, string) {
	t.Helper()
	r := h.Do(t, token, mCreateToken, map[string]any{"in": map[string]any{"name": name, "role": role, "scopeCode": scope}})
	noUserErrors(t, r, "createToken")
	var p struct {
		Token  tokenT
		Secret string
	}
	field(t, r, "createToken", &p)
	return p.Token, p.Secret
}

func TestViewer(t *testing.T) {
	h := newHarness(t)
	const q = `{ viewer { name role scope { code name level } permissions } }`
	type viewer struct {
		Viewer struct {
			Name  string
			Role  string
			Scope struct {
				Code, Name, Level string
			}
			Permissions []string
		}
	}
	cases := []struct {
		name  string
		role  core.Role
		scope string
		level string
		perms []string
	}{
		{"district_admin", core.RoleDistrictAdmin, district, "DISTRICT",
			[]string{"READ", "RECORD_ACTIVITY", "EDIT_VILLAGE", "MANAGE_TITLES", "IMPORT_REGIONS", "MANAGE_TOKENS"}},
		{"town_official", core.RoleTownOfficial, town1, "TOWN",
			[]string{"READ", "RECORD_ACTIVITY", "EDIT_VILLAGE", "MANAGE_TOKENS"}},
		{"village_clerk", core.RoleVillageClerk, v1b, "VILLAGE", []string{"READ", "RECORD_ACTIVITY", "EDIT_VILLAGE"}},
		{"partner_readonly", core.RolePartnerReadonly, district, "DISTRICT", []string{"READ"}},
		{"analyst_readonly", core.RoleAnalystReadonly, "3201", "CITY", []string{"READ"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := h.Token(t, c.role, c.scope)
			var d viewer
			h.data(t, tok, q, nil, &d)
			v := d.Viewer
			if v.Name != string(c.role)+"@"+c.scope || v.Role != strings.ToUpper(string(c.role)) ||
				v.Scope.Code != c.scope || v.Scope.Level != c.level || v.Scope.Name == "" {
				t.Fatalf("viewer = %+v", v)
			}
			// The schema's permissions, each held or not; others may be added later.
			for _, p := range []string{"READ", "RECORD_ACTIVITY", "EDIT_VILLAGE", "MANAGE_TITLES", "IMPORT_REGIONS", "MANAGE_TOKENS"} {
				if slices.Contains(v.Permissions, p) != slices.Contains(c.perms, p) {
					t.Fatalf("permissions = %v, want those of %v", v.Permissions, c.perms)
				}
			}
		})
	}
}

func TestNodeAndNodes(t *testing.T) {
	h := newHarness(t)
	vid := h.villageID(t, h.admin, v1b)
	rid := h.regionID(t, h.admin, town1)
	var g struct {
		AddGrid struct{ Grid struct{ ID string } }
	}
	h.data(t, h.admin, mAddGrid, map[string]any{"in": map[string]any{"villageId": vid, "name": "第一网格"}}, &g)
	var vg struct {
		AddVillagerGroup struct{ VillagerGroup struct{ ID string } }
	}
	h.data(t, h.admin, mAddGroup, map[string]any{"in": map[string]any{"villageId": vid, "name": "一组"}}, &vg)
	title := h.award(t, h.admin, vid, 3, 2019)
	act := h.record(t, h.admin, vid, "LECTURE", "2025-04-10", "宪法进农村讲座")
	img := pngImage(t, 1)
	ev := h.upload(t, h.admin, act.ID, "讲座照片.png", img)
	tok, _ := h.createToken(t, h.admin, "永阳街道司法所", "TOWN_OFFICIAL", town1)

	const q = `query($id: ID!) { node(id: $id) { __typename id
		... on Region { code level }
		... on Village { code name kind }
		... on Grid { name village { code } }
		... on VillagerGroup { name village { code } }
		... on Title { batch status village { code } }
		... on Activity { title date village { code } }
		... on Evidence { filename sha256 activity { id } }
		... on Token { name role scope { code } }
	} }`
	type node struct {
		Typename string `json:"__typename"`
		ID       string `json:"id"`
		Code     string `json:"code"`
		Level    string `json:"level"`
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Batch    int    `json:"batch"`
		Status   string `json:"status"`
		Title    string `json:"title"`
		Date     string `json:"date"`
		Filename string `json:"filename"`
		Sha256   string `json:"sha256"`
		Role     string `json:"role"`
		Village  struct{ Code string }
		Activity struct{ ID string }
		Scope    struct{ Code string }
	}
	cases := []struct {
		name  string
		id    string
		check func(n node) bool
	}{
		{"Region", rid, func(n node) bool { return n.Code == town1 && n.Level == "TOWN" }},
		{"Village", vid, func(n node) bool { return n.Code == v1b && n.Name == "秋湖村委会" && n.Kind == "VILLAGE" }},
		{"Grid", g.AddGrid.Grid.ID, func(n node) bool { return n.Name == "第一网格" && n.Village.Code == v1b }},
		{"VillagerGroup", vg.AddVillagerGroup.VillagerGroup.ID, func(n node) bool { return n.Name == "一组" && n.Village.Code == v1b }},
		{"Title", title.ID, func(n node) bool { return n.Batch == 3 && n.Status == "RETAINED" && n.Village.Code == v1b }},
		{"Activity", act.ID, func(n node) bool {
			return n.Title == "宪法进农村讲座" && n.Date == "2025-04-10" && n.Village.Code == v1b
		}},
		{"Evidence", ev.ID, func(n node) bool {
			return n.Filename == "讲座照片.png" && n.Sha256 == sha(img) && n.Activity.ID == act.ID
		}},
		{"Token", tok.ID, func(n node) bool {
			return n.Name == "永阳街道司法所" && n.Role == "TOWN_OFFICIAL" && n.Scope.Code == town1
		}},
	}
	ids := make([]string, 0, len(cases))
	for _, c := range cases {
		ids = append(ids, c.id)
		t.Run("node "+c.name, func(t *testing.T) {
			var d struct{ Node *node }
			h.data(t, h.admin, q, map[string]any{"id": c.id}, &d)
			if d.Node == nil || d.Node.Typename != c.name || d.Node.ID != c.id || !c.check(*d.Node) {
				t.Fatalf("node(%s) = %+v", c.name, d.Node)
			}
		})
	}
	t.Run("node missing or malformed is null", func(t *testing.T) {
		for _, id := range []string{fakeID("Village"), fakeID("Evidence"), "not-an-id", "", retype(t, rid, "Nope")} {
			var d struct{ Node *node }
			h.data(t, h.admin, q, map[string]any{"id": id}, &d)
			if d.Node != nil {
				t.Fatalf("node(%q) = %+v, want null", id, d.Node)
			}
		}
	})
	t.Run("Village ID of a town is null", func(t *testing.T) {
		var d struct{ Node *node }
		h.data(t, h.admin, q, map[string]any{"id": retype(t, rid, "Village")}, &d)
		if d.Node != nil {
			t.Fatalf("node = %+v, want null", d.Node)
		}
	})
	t.Run("nodes keeps order with nulls", func(t *testing.T) {
		const qs = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`
		in := append(slices.Clone(ids), fakeID("Activity"))
		in = append([]string{"garbage"}, in...)
		var d struct {
			Nodes []*struct {
				Typename string `json:"__typename"`
				ID       string `json:"id"`
			}
		}
		h.data(t, h.admin, qs, map[string]any{"ids": in}, &d)
		if len(d.Nodes) != len(in) || d.Nodes[0] != nil || d.Nodes[len(in)-1] != nil {
			t.Fatalf("nodes = %+v", d.Nodes)
		}
		for i, c := range cases {
			n := d.Nodes[i+1]
			if n == nil || n.ID != c.id || n.Typename != c.name {
				t.Fatalf("nodes[%d] = %+v, want %s %s", i+1, n, c.name, c.id)
			}
		}
	})
	t.Run("nodes over 100 is INVALID", func(t *testing.T) {
		many := make([]string, 101)
		for i := range many {
			many[i] = vid
		}
		h.failsWith(t, h.admin, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": many}, "INVALID")
	})
	t.Run("Token node needs MANAGE_TOKENS", func(t *testing.T) {
		ro := h.Token(t, core.RoleAnalystReadonly, district)
		var d struct{ Node *node }
		h.data(t, ro, q, map[string]any{"id": tok.ID}, &d)
		if d.Node != nil {
			t.Fatalf("read-only role sees token: %+v", d.Node)
		}
	})
}

func TestRegion(t *testing.T) {
	h := newHarness(t)
	const q = `query($code: DivisionCode!, $first: Int, $after: String) { region(code: $code) {
		id code name level parent { code } village { code }
		children(first: $first, after: $after) { totalCount ` + pageInfoFields + `
			edges { cursor node { code name level } } nodes { code } }
	} }`
	type page struct {
		Region *struct {
			ID, Code, Name, Level string
			Parent                *struct{ Code string }
			Village               *struct{ Code string }
			Children              struct {
				TotalCount int
				PageInfo   pageInfoT
				Edges      []struct {
					Cursor string
					Node   struct{ Code, Name, Level string }
				}
				Nodes []struct{ Code string }
			}
		}
	}
	t.Run("district children by pages", func(t *testing.T) {
		var p1 page
		h.data(t, h.admin, q, map[string]any{"code": district, "first": 1}, &p1)
		r := p1.Region
		if r == nil || r.Code != district || r.Name != "溧水区" || r.Level != "DISTRICT" || r.Village != nil {
			t.Fatalf("region = %+v", r)
		}
		if r.Parent != nil {
			t.Fatalf("parent 3201 is outside the district admin's scope but shown: %+v", r.Parent)
		}
		c := r.Children
		if c.TotalCount != 2 || len(c.Edges) != 1 || c.Edges[0].Node.Code != town1 || c.Edges[0].Node.Level != "TOWN" ||
			len(c.Nodes) != 1 || c.Nodes[0].Code != town1 {
			t.Fatalf("first page = %+v", c)
		}
		if !c.PageInfo.HasNextPage || c.PageInfo.HasPreviousPage || c.PageInfo.EndCursor == nil ||
			*c.PageInfo.EndCursor != c.Edges[0].Cursor || *c.PageInfo.StartCursor != c.Edges[0].Cursor {
			t.Fatalf("first pageInfo = %+v", c.PageInfo)
		}
		var p2 page
		h.data(t, h.admin, q, map[string]any{"code": district, "first": 1, "after": *c.PageInfo.EndCursor}, &p2)
		c2 := p2.Region.Children
		if c2.TotalCount != 2 || len(c2.Edges) != 1 || c2.Edges[0].Node.Code != town2 || c2.Edges[0].Node.Name != "白马镇" {
			t.Fatalf("second page = %+v", c2)
		}
		if c2.PageInfo.HasNextPage || !c2.PageInfo.HasPreviousPage {
			t.Fatalf("second pageInfo = %+v", c2.PageInfo)
		}
		var p3 page
		h.data(t, h.admin, q, map[string]any{"code": district, "first": 1, "after": *c2.PageInfo.EndCursor}, &p3)
		c3 := p3.Region.Children
		if len(c3.Edges) != 0 || c3.PageInfo.HasNextPage || c3.PageInfo.EndCursor != nil || c3.TotalCount != 2 {
			t.Fatalf("page past the end = %+v", c3)
		}
	})
	t.Run("town children and parent", func(t *testing.T) {
		var p page
		h.data(t, h.admin, q, map[string]any{"code": town1}, &p)
		r := p.Region
		if r == nil || r.Level != "TOWN" || r.Parent == nil || r.Parent.Code != district {
			t.Fatalf("town = %+v", r)
		}
		if r.Children.TotalCount != 2 || len(r.Children.Nodes) != 2 || r.Children.Nodes[0].Code != v1a ||
			r.Children.Nodes[1].Code != v1b || r.Children.PageInfo.HasNextPage {
			t.Fatalf("town children = %+v", r.Children)
		}
	})
	t.Run("village region", func(t *testing.T) {
		var p page
		h.data(t, h.admin, q, map[string]any{"code": v2a}, &p)
		r := p.Region
		if r == nil || r.Level != "VILLAGE" || r.Village == nil || r.Village.Code != v2a || r.Children.TotalCount != 0 ||
			r.Parent == nil || r.Parent.Code != town2 {
			t.Fatalf("village region = %+v", r)
		}
	})
	t.Run("outside scope or unknown is null", func(t *testing.T) {
		for _, code := range []string{"32", "3201", "320118", "320117999"} {
			var p page
			h.data(t, h.admin, q, map[string]any{"code": code}, &p)
			if p.Region != nil {
				t.Fatalf("region(%s) = %+v, want null", code, p.Region)
			}
		}
	})
	t.Run("malformed code is INVALID_CODE", func(t *testing.T) {
		h.failsWith(t, h.admin, q, map[string]any{"code": "3201170"}, "INVALID_CODE")
	})
}

func TestVillage(t *testing.T) {
	h := newHarness(t)
	vid := h.villageID(t, h.admin, v1b)
	for _, n := range []string{"第二网格", "第一网格"} {
		h.data(t, h.admin, mAddGrid, map[string]any{"in": map[string]any{"villageId": vid, "name": n}}, &struct{}{})
	}
	h.data(t, h.admin, mAddGroup, map[string]any{"in": map[string]any{"villageId": vid, "name": "秋湖一组"}}, &struct{}{})
	old := h.award(t, h.admin, vid, 2, 2005)
	h.data(t, h.admin, mChangeTitle, map[string]any{"in": map[string]any{"titleId": old.ID, "status": "REVOKED",
		"reason": "发生民转刑案件"}}, &struct{}{})
	cur := h.award(t, h.admin, vid, 9, 2016)
	l1 := h.record(t, h.admin, vid, "LECTURE", "2025-04-10", "四月讲座")
	l2 := h.record(t, h.admin, vid, "LECTURE", "2025-05-12", "五月讲座")
	l3 := h.record(t, h.admin, vid, "LECTURE", "2025-05-20", "五月第二次讲座")
	b1 := h.record(t, h.admin, vid, "BOARD_UPDATE", "2025-05-02", "五月宣传栏")
	h.record(t, h.admin, vid, "LECTURE", "2024-12-01", "去年讲座")
	e1 := h.upload(t, h.admin, l1.ID, "a.png", pngImage(t, 1))
	e2 := h.upload(t, h.admin, l2.ID, "b.png", pngImage(t, 2))
	e3 := h.upload(t, h.admin, b1.ID, "c.png", pngImage(t, 3))

	const q = `query($code: DivisionCode!, $period: Period, $kind: ActivityKind, $first: Int, $after: String, $efirst: Int, $eafter: String) {
		village(code: $code) { id code name kind householdCount version
			region { code level village { code } }
			town { code name }
			titles { id status batch }
			provincialTitle { id batch year status }
			activities(period: $period, kind: $kind, first: $first, after: $after) { totalCount ` + pageInfoFields + `
				edges { cursor node { id date title } } nodes { id } }
			activityCounts(period: "2025-Q2") { period responsibilityList lecture cultureActivity volunteerService boardUpdate constitutionDay total }
			evidence(first: $efirst, after: $eafter) { totalCount ` + pageInfoFields + ` edges { cursor node { id filename } } nodes { id } }
			grids { id name village { code } }
			villagerGroups { id name }
		} }`
	type village struct {
		Village *struct {
			ID, Code, Name, Kind string
			HouseholdCount       *int
			Version              int
			Region               struct {
				Code, Level string
				Village     struct{ Code string }
			}
			Town            *struct{ Code, Name string }
			Titles          []struct{ ID, Status string }
			ProvincialTitle *struct {
				ID     string
				Batch  int
				Year   int
				Status string
			}
			Activities struct {
				TotalCount int
				PageInfo   pageInfoT
				Edges      []struct {
					Cursor string
					Node   struct{ ID, Date, Title string }
				}
				Nodes []struct{ ID string }
			}
			ActivityCounts struct {
				Period                                                                                       string
				ResponsibilityList, Lecture, CultureActivity, VolunteerService, BoardUpdate, ConstitutionDay int
				Total                                                                                        int
			}
			Evidence struct {
				TotalCount int
				PageInfo   pageInfoT
				Edges      []struct {
					Cursor string
					Node   struct{ ID, Filename string }
				}
				Nodes []struct{ ID string }
			}
			Grids []struct {
				ID, Name string
				Village  struct{ Code string }
			}
			VillagerGroups []struct{ ID, Name string }
		}
	}
	t.Run("fields", func(t *testing.T) {
		var d village
		h.data(t, h.admin, q, map[string]any{"code": v1b}, &d)
		v := d.Village
		if v == nil || v.ID != vid || v.Code != v1b || v.Name != "秋湖村委会" || v.Kind != "VILLAGE" || v.HouseholdCount != nil || v.Version != 1 {
			t.Fatalf("village = %+v", v)
		}
		if v.Region.Code != v1b || v.Region.Level != "VILLAGE" || v.Region.Village.Code != v1b {
			t.Fatalf("region = %+v", v.Region)
		}
		if v.Town == nil || v.Town.Code != town1 || v.Town.Name != "永阳街道" {
			t.Fatalf("town = %+v", v.Town)
		}
		if len(v.Titles) != 2 || v.Titles[0].ID != cur.ID || v.Titles[0].Status != "RETAINED" ||
			v.Titles[1].ID != old.ID || v.Titles[1].Status != "REVOKED" {
			t.Fatalf("titles = %+v", v.Titles)
		}
		if p := v.ProvincialTitle; p == nil || p.ID != cur.ID || p.Batch != 9 || p.Year != 2016 || p.Status != "RETAINED" {
			t.Fatalf("provincialTitle = %+v", p)
		}
		if len(v.Grids) != 2 || v.Grids[0].Name != "第一网格" || v.Grids[1].Name != "第二网格" || v.Grids[0].Village.Code != v1b {
			t.Fatalf("grids = %+v", v.Grids)
		}
		if len(v.VillagerGroups) != 1 || v.VillagerGroups[0].Name != "秋湖一组" {
			t.Fatalf("villagerGroups = %+v", v.VillagerGroups)
		}
		c := v.ActivityCounts
		if c.Period != "2025-Q2" || c.Lecture != 3 || c.BoardUpdate != 1 || c.Total != 4 || c.ResponsibilityList != 0 ||
			c.CultureActivity != 0 || c.VolunteerService != 0 || c.ConstitutionDay != 0 {
			t.Fatalf("activityCounts = %+v", c)
		}
		if v.Activities.TotalCount != 5 || len(v.Activities.Nodes) != 5 || v.Activities.Edges[0].Node.ID != l3.ID ||
			v.Activities.Edges[4].Node.Date != "2024-12-01" {
			t.Fatalf("activities, newest first = %+v", v.Activities)
		}
	})
	t.Run("activities by period and kind, paged", func(t *testing.T) {
		vars := map[string]any{"code": v1b, "period": "2025", "kind": "LECTURE", "first": 2}
		var d village
		h.data(t, h.admin, q, vars, &d)
		a := d.Village.Activities
		if a.TotalCount != 3 || len(a.Edges) != 2 || a.Edges[0].Node.ID != l3.ID || a.Edges[1].Node.ID != l2.ID ||
			!a.PageInfo.HasNextPage || a.PageInfo.HasPreviousPage {
			t.Fatalf("page 1 = %+v", a)
		}
		vars["after"] = *a.PageInfo.EndCursor
		h.data(t, h.admin, q, vars, &d)
		a = d.Village.Activities
		if a.TotalCount != 3 || len(a.Edges) != 1 || a.Edges[0].Node.ID != l1.ID || a.PageInfo.HasNextPage || !a.PageInfo.HasPreviousPage {
			t.Fatalf("page 2 = %+v", a)
		}
		for _, c := range []struct {
			period string
			kind   any
			want   int
		}{{"2025-05", nil, 3}, {"2025-05", "LECTURE", 2}, {"2025-Q2", "BOARD_UPDATE", 1}, {"2024", nil, 1}, {"2025-Q3", nil, 0}, {"2024-12", "LECTURE", 1}} {
			h.data(t, h.admin, q, map[string]any{"code": v1b, "period": c.period, "kind": c.kind}, &d)
			if got := d.Village.Activities.TotalCount; got != c.want || len(d.Village.Activities.Nodes) != c.want {
				t.Fatalf("activities(%s, %v) = %d (%d nodes), want %d", c.period, c.kind, got, len(d.Village.Activities.Nodes), c.want)
			}
		}
	})
	t.Run("evidence paged newest first", func(t *testing.T) {
		var d village
		h.data(t, h.admin, q, map[string]any{"code": v1b, "efirst": 2}, &d)
		e := d.Village.Evidence
		if e.TotalCount != 3 || len(e.Edges) != 2 || e.Edges[0].Node.ID != e3.ID || e.Edges[0].Node.Filename != "c.png" ||
			e.Edges[1].Node.ID != e2.ID || !e.PageInfo.HasNextPage {
			t.Fatalf("evidence page 1 = %+v", e)
		}
		h.data(t, h.admin, q, map[string]any{"code": v1b, "efirst": 2, "eafter": *e.PageInfo.EndCursor}, &d)
		e = d.Village.Evidence
		if e.TotalCount != 3 || len(e.Edges) != 1 || e.Edges[0].Node.ID != e1.ID || e.PageInfo.HasNextPage || !e.PageInfo.HasPreviousPage {
			t.Fatalf("evidence page 2 = %+v", e)
		}
	})
	t.Run("not a village is null", func(t *testing.T) {
		for _, code := range []string{town1, "320117001999"} {
			var d village
			h.data(t, h.admin, q, map[string]any{"code": code}, &d)
			if d.Village != nil {
				t.Fatalf("village(%s) = %+v, want null", code, d.Village)
			}
		}
	})
	t.Run("bad period is INVALID_PERIOD", func(t *testing.T) {
		for _, p := range []string{"2025-13", "2025-Q5", "25", "2025/05", ""} {
			h.failsWith(t, h.admin, q, map[string]any{"code": v1b, "period": p}, "INVALID_PERIOD")
		}
		h.failsWith(t, h.admin, `{ village(code: "`+v1b+`") { activityCounts(period: "2025-Q0") { total } } }`, nil, "INVALID_PERIOD")
	})
}

func TestVillagesFilter(t *testing.T) {
	h := newHarness(t)
	ids := map[string]string{}
	for _, c := range []string{v1a, v1b, v2a, v2b} {
		ids[c] = h.villageID(t, h.admin, c)
	}
	h.award(t, h.admin, ids[v1b], 3, 2008)
	h.award(t, h.admin, ids[v2a], 5, 2010)
	revoked := h.award(t, h.admin, ids[v2b], 7, 2012)
	h.data(t, h.admin, mChangeTitle, map[string]any{"in": map[string]any{"titleId": revoked.ID, "status": "REVOKED",
		"reason": "村干部涉黑涉恶被起诉"}}, &struct{}{})
	// A national title is not a provincial one: it matches no provincial filter.
	h.data(t, h.admin, mAwardTitle, map[string]any{"in": map[string]any{"villageId": ids[v1a], "level": "NATIONAL", "year": 2015}}, &struct{}{})

	const q = `query($code: DivisionCode!, $filter: VillageFilter, $first: Int, $after: String) { region(code: $code) {
		villages(filter: $filter, first: $first, after: $after) { totalCount ` + pageInfoFields + ` edges { cursor node { code } } nodes { code name kind } } } }`
	type conn struct {
		Region struct {
			Villages struct {
				TotalCount int
				PageInfo   pageInfoT
				Edges      []struct {
					Cursor string
					Node   struct{ Code string }
				}
				Nodes []struct{ Code, Name, Kind string }
			}
		}
	}
	cases := []struct {
		name   string
		code   string
		filter map[string]any
		want   []string
	}{
		{"no filter", district, nil, []string{v1a, v1b, v2a, v2b}},
		{"town", town2, nil, []string{v2a, v2b}},
		{"kind community", district, map[string]any{"kind": "COMMUNITY"}, []string{v1a}},
		{"kind village", district, map[string]any{"kind": "VILLAGE"}, []string{v1b, v2a, v2b}},
		{"titleStatus retained", district, map[string]any{"titleStatus": "RETAINED"}, []string{v1b, v2a}},
		{"titleStatus revoked", district, map[string]any{"titleStatus": "REVOKED"}, []string{v2b}},
		{"titleStatus cancelled", district, map[string]any{"titleStatus": "CANCELLED"}, nil},
		{"hasTitle true", district, map[string]any{"hasTitle": true}, []string{v1b, v2a}},
		{"hasTitle false", district, map[string]any{"hasTitle": false}, []string{v1a, v2b}},
		{"batch", district, map[string]any{"batch": 5}, []string{v2a}},
		{"batch of a revoked title", district, map[string]any{"batch": 7}, []string{v2b}},
		{"nameContains", district, map[string]any{"nameContains": "白马"}, []string{v2a}},
		{"nameContains 村委会", district, map[string]any{"nameContains": "村委会"}, []string{v1b, v2a, v2b}},
		{"combined", town2, map[string]any{"kind": "VILLAGE", "hasTitle": true, "nameContains": "村"}, []string{v2a}},
		{"nothing matches", district, map[string]any{"nameContains": "不存在"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d conn
			h.data(t, h.admin, q, map[string]any{"code": c.code, "filter": c.filter}, &d)
			v := d.Region.Villages
			var got []string
			for _, n := range v.Nodes {
				got = append(got, n.Code)
			}
			if !slices.Equal(got, c.want) || v.TotalCount != len(c.want) {
				t.Fatalf("villages = %v (totalCount %d), want %v", got, v.TotalCount, c.want)
			}
		})
	}
	t.Run("paged with filter", func(t *testing.T) {
		f := map[string]any{"kind": "VILLAGE"}
		var d conn
		h.data(t, h.admin, q, map[string]any{"code": district, "filter": f, "first": 2}, &d)
		v := d.Region.Villages
		if v.TotalCount != 3 || len(v.Edges) != 2 || v.Edges[0].Node.Code != v1b || v.Edges[1].Node.Code != v2a || !v.PageInfo.HasNextPage {
			t.Fatalf("page 1 = %+v", v)
		}
		h.data(t, h.admin, q, map[string]any{"code": district, "filter": f, "first": 2, "after": *v.PageInfo.EndCursor}, &d)
		v = d.Region.Villages
		if v.TotalCount != 3 || len(v.Edges) != 1 || v.Edges[0].Node.Code != v2b || v.PageInfo.HasNextPage || !v.PageInfo.HasPreviousPage {
			t.Fatalf("page 2 = %+v", v)
		}
	})
}

const qDuty = `query($code: DivisionCode!, $period: Period!, $first: Int, $after: String) { region(code: $code) {
	dutyStatus(period: $period, first: $first, after: $after) { totalCount ` + pageInfoFields + `
		edges { cursor node { village { code } } }
		nodes { village { code } period lectureMonths { done due met } cultureQuarters { done due met }
			boardMonths { done due met } responsibilityList constitutionDay volunteerServices evidenceRequired } } } }`

type progressT struct {
	Done, Due int
	Met       bool
}

type dutyT struct {
	Village            struct{ Code string }
	Period             string
	LectureMonths      progressT
	CultureQuarters    progressT
	BoardMonths        progressT
	ResponsibilityList bool
	ConstitutionDay    bool
	VolunteerServices  int
	EvidenceRequired   bool
}

type dutyConnT struct {
	Region *struct {
		DutyStatus struct {
			TotalCount int
			PageInfo   pageInfoT
			Edges      []struct {
				Cursor string
				Node   struct{ Village struct{ Code string } }
			}
			Nodes []dutyT
		}
	}
}

// duty returns the duty status of one village for the period.
func (h *harness) duty(t testing.TB, token, region, village, period string) dutyT {
	t.Helper()
	var d dutyConnT
	h.data(t, token, qDuty, map[string]any{"code": region, "period": period, "first": 100}, &d)
	for _, n := range d.Region.DutyStatus.Nodes {
		if n.Village.Code == village {
			return n
		}
	}
	t.Fatalf("no duty status of %s in %s", village, region)
	return dutyT{}
}

func TestDutyStatus(t *testing.T) {
	h := newHarness(t)
	vid := h.villageID(t, h.admin, v1b)
	img := pngImage(t, 42)
	withEvidence := func(kind, date string) (activityT, evidenceT) {
		a := h.record(t, h.admin, vid, kind, date, kind+" "+date)
		return a, h.upload(t, h.admin, a.ID, "证明.png", img)
	}
	_, apr := withEvidence("LECTURE", "2025-04-10")
	_, may1 := withEvidence("LECTURE", "2025-05-12")
	withEvidence("LECTURE", "2025-05-20")
	h.record(t, h.admin, vid, "LECTURE", "2025-06-05", "六月讲座（无证明材料）")
	withEvidence("LECTURE", "2025-07-01")
	withEvidence("CULTURE_ACTIVITY", "2025-05-01")
	for _, d := range []string{"2025-04-02", "2025-05-02", "2025-06-02"} {
		withEvidence("BOARD_UPDATE", d)
	}
	withEvidence("RESPONSIBILITY_LIST", "2025-02-01")
	cday := h.record(t, h.admin, vid, "CONSTITUTION_DAY", "2025-12-04", "国家宪法日活动")
	for _, d := range []string{"2025-03-15", "2025-04-15", "2025-06-15"} {
		withEvidence("VOLUNTEER_SERVICE", d)
	}

	cases := []struct {
		period string
		want   dutyT
	}{
		{"2025-Q2", dutyT{LectureMonths: progressT{2, 3, false}, CultureQuarters: progressT{1, 1, true}, BoardMonths: progressT{3, 3, true},
			ResponsibilityList: true, VolunteerServices: 2}},
		{"2025-05", dutyT{LectureMonths: progressT{1, 1, true}, CultureQuarters: progressT{1, 1, true}, BoardMonths: progressT{1, 1, true},
			ResponsibilityList: true}},
		{"2025-06", dutyT{LectureMonths: progressT{0, 1, false}, CultureQuarters: progressT{1, 1, true}, BoardMonths: progressT{1, 1, true},
			ResponsibilityList: true, VolunteerServices: 1}},
		{"2025", dutyT{LectureMonths: progressT{3, 12, false}, CultureQuarters: progressT{1, 4, false}, BoardMonths: progressT{3, 12, false},
			ResponsibilityList: true, VolunteerServices: 3}},
		{"2024", dutyT{LectureMonths: progressT{0, 12, false}, CultureQuarters: progressT{0, 4, false}, BoardMonths: progressT{0, 12, false}}},
	}
	for _, c := range cases {
		t.Run("period "+c.period, func(t *testing.T) {
			got := h.duty(t, h.admin, district, v1b, c.period)
			want := c.want
			want.Village.Code, want.Period, want.EvidenceRequired = v1b, c.period, true
			if got != want {
				t.Fatalf("duty status\n got %+v\nwant %+v", got, want)
			}
		})
	}
	t.Run("village without activities", func(t *testing.T) {
		got := h.duty(t, h.admin, district, v2a, "2025-Q2")
		want := dutyT{Period: "2025-Q2", LectureMonths: progressT{0, 3, false}, CultureQuarters: progressT{0, 1, false},
			BoardMonths: progressT{0, 3, false}, EvidenceRequired: true}
		want.Village.Code = v2a
		if got != want {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
	})
	t.Run("due counts only started months of the current year", func(t *testing.T) {
		before := shanghaiNow()
		p := strconv.Itoa(before.Year())
		got := h.duty(t, h.admin, district, v1b, p)
		after := shanghaiNow()
		okDue := func(due int, f func(time.Time) int) bool { return due == f(before) || due == f(after) }
		month := func(t time.Time) int { return int(t.Month()) }
		quarter := func(t time.Time) int { return (int(t.Month())-1)/3 + 1 }
		if !okDue(got.LectureMonths.Due, month) || !okDue(got.BoardMonths.Due, month) || !okDue(got.CultureQuarters.Due, quarter) {
			t.Fatalf("due in the current year = %+v at %s", got, before)
		}
	})
	t.Run("evidence added later counts", func(t *testing.T) {
		if h.duty(t, h.admin, district, v1b, "2025").ConstitutionDay {
			t.Fatal("constitution day counted without evidence")
		}
		h.upload(t, h.admin, cday.ID, "宪法日.png", img)
		if !h.duty(t, h.admin, district, v1b, "2025").ConstitutionDay {
			t.Fatal("constitution day with evidence not counted")
		}
	})
	t.Run("deleted evidence stops counting", func(t *testing.T) {
		del := func(id string) {
			r := h.Do(t, h.admin, mDeleteEvidence, map[string]any{"in": map[string]any{"id": id, "reason": "上传错误"}})
			noUserErrors(t, r, "deleteEvidence")
		}
		del(may1.ID) // May still has the lecture of 2025-05-20
		if got := h.duty(t, h.admin, district, v1b, "2025-Q2").LectureMonths; got != (progressT{2, 3, false}) {
			t.Fatalf("after deleting one of two May lectures' evidence: %+v", got)
		}
		del(apr.ID)
		if got := h.duty(t, h.admin, district, v1b, "2025-Q2").LectureMonths; got != (progressT{1, 3, false}) {
			t.Fatalf("after deleting April's evidence: %+v", got)
		}
	})
	t.Run("paged with totalCount", func(t *testing.T) {
		var d dutyConnT
		h.data(t, h.admin, qDuty, map[string]any{"code": district, "period": "2025-Q2", "first": 3}, &d)
		c := d.Region.DutyStatus
		if c.TotalCount != 4 || len(c.Nodes) != 3 || c.Nodes[0].Village.Code != v1a || c.Edges[2].Node.Village.Code != v2a || !c.PageInfo.HasNextPage {
			t.Fatalf("page 1 = %+v", c)
		}
		h.data(t, h.admin, qDuty, map[string]any{"code": district, "period": "2025-Q2", "first": 3, "after": *c.PageInfo.EndCursor}, &d)
		c = d.Region.DutyStatus
		if c.TotalCount != 4 || len(c.Nodes) != 1 || c.Nodes[0].Village.Code != v2b || c.PageInfo.HasNextPage || !c.PageInfo.HasPreviousPage {
			t.Fatalf("page 2 = %+v", c)
		}
		h.data(t, h.admin, qDuty, map[string]any{"code": town1, "period": "2025-Q2"}, &d)
		if c := d.Region.DutyStatus; c.TotalCount != 2 || len(c.Nodes) != 2 {
			t.Fatalf("town = %+v", c)
		}
	})
	t.Run("bad period is INVALID_PERIOD", func(t *testing.T) {
		h.failsWith(t, h.admin, qDuty, map[string]any{"code": district, "period": "2025-Q9"}, "INVALID_PERIOD")
		h.failsWith(t, h.admin, `{ region(code: "320117") { dutyStatus(period: "2025-00") { totalCount } } }`, nil, "INVALID_PERIOD")
	})
	t.Run("setting off counts activities without evidence", func(t *testing.T) {
		if err := h.DB.Settings().Set(h.System, "activity.requires_evidence", false, time.Now().Add(-time.Second), "test"); err != nil {
			t.Fatal(err)
		}
		got := h.duty(t, h.admin, district, v1b, "2025-Q2")
		if got.EvidenceRequired || got.LectureMonths != (progressT{3, 3, true}) {
			t.Fatalf("with requires_evidence false: %+v", got)
		}
	})
}

func TestTokens(t *testing.T) {
	h := newHarness(t)
	const qTokens = `query($all: Boolean) { tokens(includeRevoked: $all) { ` + tokenFields + ` } }`
	tokens := func(t *testing.T, token string, all bool) []tokenT {
		var d struct{ Tokens []tokenT }
		h.data(t, token, qTokens, map[string]any{"all": all}, &d)
		return d.Tokens
	}
	names := func(ts []tokenT) []string {
		var out []string
		for _, x := range ts {
			out = append(out, x.Name)
		}
		return out
	}
	exp := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	var town tokenT
	var townSecret string
	t.Run("createToken", func(t *testing.T) {
		r := h.Do(t, h.admin, mCreateToken, map[string]any{"in": map[string]any{"name": "永阳街道司法所", "role": "TOWN_OFFICIAL",
			"scopeCode": town1, "expiresAt": exp.Format(time.RFC3339)}})
		noUserErrors(t, r, "createToken")
		var p struct {
			Token  tokenT
			Secret string
		}
		field(t, r, "createToken", &p)
		town, townSecret = p.Token, p.Secret
		if town.Name != "永阳街道司法所" || town.Role != "TOWN_OFFICIAL" || town.Scope.Code != town1 || town.RevokedAt != nil ||
			town.ExpiresAt == nil || !town.ExpiresAt.Equal(exp) || time.Since(town.CreatedAt) > time.Minute {
			t.Fatalf("token = %+v", town)
		}
		if !strings.HasPrefix(townSecret, "lv_") || len(townSecret) < 40 || town.Hint != townSecret[:len(town.Hint)] || len(town.Hint) < 4 ||
			len(town.Hint) > 10 {
			t.Fatalf("secret %q, hint %q", townSecret, town.Hint)
		}
		var v struct{ Viewer struct{ Name, Role string } }
		h.data(t, townSecret, `{ viewer { name role } }`, nil, &v)
		if v.Viewer.Name != "永阳街道司法所" || v.Viewer.Role != "TOWN_OFFICIAL" {
			t.Fatalf("viewer of the new token = %+v", v)
		}
	})
	t.Run("createToken errors", func(t *testing.T) {
		cases := []struct {
			name, token, role, scope, code string
			extra                          map[string]any
		}{
			{"role above own", townSecret, "DISTRICT_ADMIN", town1, "FORBIDDEN", nil},
			{"scope outside own", townSecret, "VILLAGE_CLERK", district, "NOT_FOUND", nil},
			{"scope of the other town", townSecret, "VILLAGE_CLERK", v2a, "NOT_FOUND", nil},
			{"scope unknown", townSecret, "VILLAGE_CLERK", "320117001999", "NOT_FOUND", nil},
			{"district admin above own", h.admin, "CITY_OFFICIAL", district, "FORBIDDEN", nil},
			{"district admin outside own", h.admin, "TOWN_OFFICIAL", "3201", "NOT_FOUND", nil},
			{"empty name", h.admin, "TOWN_OFFICIAL", town1, "INVALID", map[string]any{"name": "  "}},
			{"expiry in the past", h.admin, "TOWN_OFFICIAL", town1, "INVALID", map[string]any{"expiresAt": "2020-01-01T00:00:00Z"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := map[string]any{"name": "测试令牌", "role": c.role, "scopeCode": c.scope}
				for k, v := range c.extra {
					in[k] = v
				}
				r := h.Do(t, c.token, mCreateToken, map[string]any{"in": in})
				wantUserError(t, r, "createToken", c.code)
				var p struct {
					Token  *tokenT
					Secret *string
				}
				field(t, r, "createToken", &p)
				if p.Token != nil || p.Secret != nil {
					t.Fatalf("failed createToken returned %+v", p)
				}
			})
		}
	})
	clerk, clerkSecret := h.createToken(t, townSecret, "秋湖村文书", "VILLAGE_CLERK", v1b)
	t.Run("tokens lists those in scope", func(t *testing.T) {
		if got := names(tokens(t, h.admin, false)); !slices.Equal(got, []string{"district_admin@320117", "永阳街道司法所", "秋湖村文书"}) {
			t.Fatalf("admin sees %v", got)
		}
		if got := names(tokens(t, townSecret, false)); !slices.Equal(got, []string{"永阳街道司法所", "秋湖村文书"}) {
			t.Fatalf("town official sees %v", got)
		}
		for _, x := range tokens(t, townSecret, false) {
			if x.Name == "永阳街道司法所" && x.LastUsedAt == nil {
				t.Fatalf("lastUsedAt not recorded: %+v", x)
			}
		}
	})
	t.Run("revokeToken", func(t *testing.T) {
		var v struct{ Viewer struct{ Name string } }
		h.data(t, clerkSecret, `{ viewer { name } }`, nil, &v)
		r := h.Do(t, townSecret, mRevokeToken, map[string]any{"in": map[string]any{"id": clerk.ID}})
		noUserErrors(t, r, "revokeToken")
		var p struct{ Token tokenT }
		field(t, r, "revokeToken", &p)
		if p.Token.ID != clerk.ID || p.Token.RevokedAt == nil {
			t.Fatalf("revoked token = %+v", p.Token)
		}
		res := h.Do(t, clerkSecret, `{ viewer { name } }`, nil)
		if res.Status != http.StatusUnauthorized {
			t.Fatalf("revoked token: HTTP %d", res.Status)
		}
		wantCode(t, res, "UNAUTHENTICATED")
		if got := names(tokens(t, h.admin, false)); slices.Contains(got, "秋湖村文书") {
			t.Fatalf("revoked token listed by default: %v", got)
		}
		all := tokens(t, h.admin, true)
		if i := slices.IndexFunc(all, func(x tokenT) bool { return x.ID == clerk.ID }); i < 0 || all[i].RevokedAt == nil {
			t.Fatalf("includeRevoked: %+v", all)
		}
		// Revoking again changes nothing.
		r = h.Do(t, h.admin, mRevokeToken, map[string]any{"in": map[string]any{"id": clerk.ID}})
		var again struct{ Token tokenT }
		field(t, r, "revokeToken", &again)
		if again.Token.RevokedAt == nil || !again.Token.RevokedAt.Equal(*p.Token.RevokedAt) {
			t.Fatalf("second revoke = %+v", again.Token)
		}
	})
	t.Run("revokeToken errors", func(t *testing.T) {
		adminTok := tokens(t, h.admin, false)[0]
		r := h.Do(t, townSecret, mRevokeToken, map[string]any{"in": map[string]any{"id": adminTok.ID}})
		wantUserError(t, r, "revokeToken", "NOT_FOUND")
		r = h.Do(t, townSecret, mRevokeToken, map[string]any{"in": map[string]any{"id": fakeID("Token")}})
		wantUserError(t, r, "revokeToken", "NOT_FOUND")
		r = h.Do(t, h.admin, mRevokeToken, map[string]any{"in": map[string]any{"id": retype(t, adminTok.ID, "Village")}})
		wantUserError(t, r, "revokeToken", "NOT_FOUND")
		// A district_admin token scoped to the town is visible to the town official but ranks above it.
		above, _ := h.createToken(t, h.admin, "区局驻镇", "DISTRICT_ADMIN", town1)
		r = h.Do(t, townSecret, mRevokeToken, map[string]any{"in": map[string]any{"id": above.ID}})
		wantUserError(t, r, "revokeToken", "FORBIDDEN")
	})
}

func TestImportRegions(t *testing.T) {
	h := newHarness(t)
	imp := func(t *testing.T, token, csv string) *apptest.Response {
		return h.Upload(t, token, mImport, map[string]any{"in": map[string]any{"file": nil}}, "variables.in.file", "regions.csv", []byte(csv))
	}
	type result struct {
		Inserted, Updated, Unchanged int
		UserErrors                   []userError
		RowErrors                    []struct {
			Row       int
			Column    *string
			Message   string
			MessageEn string
		}
	}
	importResult := func(t *testing.T, r *apptest.Response) result {
		var p result
		field(t, r, "importRegions", &p)
		return p
	}
	children := func(t *testing.T, code string) int {
		var d struct {
			Region struct{ Children struct{ TotalCount int } }
		}
		h.data(t, h.admin, `query($c: DivisionCode!) { region(code: $c) { children { totalCount } } }`, map[string]any{"c": code}, &d)
		return d.Region.Children.TotalCount
	}
	const good = "code,name,parent_code,kind\n" +
		"320117100203,新桥村委会,320117100,\n" +
		"320117001002,南门社区居委会,320117001,community\n"
	t.Run("inserts", func(t *testing.T) {
		p := importResult(t, imp(t, h.admin, good))
		if p.Inserted != 2 || p.Updated != 0 || p.Unchanged != 0 || len(p.UserErrors) != 0 || len(p.RowErrors) != 0 {
			t.Fatalf("import = %+v", p)
		}
		var d struct {
			Village *struct {
				Name, Kind string
				Town       struct{ Code string }
			}
		}
		h.data(t, h.admin, `{ village(code: "320117100203") { name kind town { code } } }`, nil, &d)
		if d.Village == nil || d.Village.Name != "新桥村委会" || d.Village.Kind != "VILLAGE" || d.Village.Town.Code != town2 {
			t.Fatalf("imported village = %+v", d.Village)
		}
		h.data(t, h.admin, `{ village(code: "320117001002") { name kind town { code } } }`, nil, &d)
		if d.Village == nil || d.Village.Kind != "COMMUNITY" {
			t.Fatalf("imported community = %+v", d.Village)
		}
		if n := children(t, town2); n != 3 {
			t.Fatalf("town2 children = %d", n)
		}
	})
	t.Run("same file again changes nothing", func(t *testing.T) {
		p := importResult(t, imp(t, h.admin, good))
		if p.Inserted != 0 || p.Updated != 0 || p.Unchanged != 2 {
			t.Fatalf("re-import = %+v", p)
		}
	})
	t.Run("rename updates", func(t *testing.T) {
		p := importResult(t, imp(t, h.admin, strings.Replace(good, "新桥村委会", "新桥村民委员会", 1)))
		if p.Inserted != 0 || p.Updated != 1 || p.Unchanged != 1 {
			t.Fatalf("rename = %+v", p)
		}
	})
	rejected := []struct {
		name string
		csv  string
		rows []int
	}{
		{"bad rows", "code,name,parent_code\n" +
			"320117100204,好村委会,320117100\n" +
			"320117100205,,320117100\n" +
			"32011710020X,坏村委会,320117100\n", []int{3, 4}},
		{"unknown parent and outside scope", "code,name,parent_code\n" +
			"320117100204,好村委会,320117100\n" +
			"320117199301,孤村委会,320117199\n" +
			"320118,外区,3201\n", []int{3, 4}},
		{"bad header", "id,name\n320117100204,好村委会\n", []int{1}},
	}
	for _, c := range rejected {
		t.Run("rejected "+c.name, func(t *testing.T) {
			before := children(t, town2)
			p := importResult(t, imp(t, h.admin, c.csv))
			if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "IMPORT_REJECTED" || len(p.RowErrors) == 0 ||
				p.Inserted+p.Updated+p.Unchanged != 0 {
				t.Fatalf("import = %+v", p)
			}
			var rows []int
			for _, re := range p.RowErrors {
				if re.Message == "" || re.MessageEn == "" {
					t.Fatalf("row error without messages: %+v", re)
				}
				rows = append(rows, re.Row)
			}
			slices.Sort(rows)
			if !slices.Equal(rows, c.rows) {
				t.Fatalf("rowErrors rows = %v, want %v (%+v)", rows, c.rows, p.RowErrors)
			}
			var d struct{ Village *struct{ Code string } }
			h.data(t, h.admin, `{ village(code: "320117100204") { code } }`, nil, &d)
			if d.Village != nil || children(t, town2) != before {
				t.Fatalf("a rejected import wrote rows")
			}
		})
	}
	t.Run("town official may not import", func(t *testing.T) {
		tok := h.Token(t, core.RoleTownOfficial, town2)
		wantCode(t, imp(t, tok, good), "FORBIDDEN")
	})
}

func TestUpdateVillage(t *testing.T) {
	h := newHarness(t)
	vid := h.villageID(t, h.admin, v1b)
	type village struct {
		ID, Code, Kind string
		HouseholdCount *int
		Version        int
	}
	update := func(t *testing.T, in map[string]any) *apptest.Response {
		in["villageId"] = vid
		return h.Do(t, h.admin, mUpdateVillage, map[string]any{"in": in})
	}
	var v1 village
	t.Run("updates with expectedVersion", func(t *testing.T) {
		r := update(t, map[string]any{"householdCount": 1260, "kind": "COMMUNITY", "expectedVersion": 1})
		noUserErrors(t, r, "updateVillage")
		var p struct{ Village village }
		field(t, r, "updateVillage", &p)
		v1 = p.Village
		if v1.ID != vid || v1.Code != v1b || v1.HouseholdCount == nil || *v1.HouseholdCount != 1260 || v1.Kind != "COMMUNITY" || v1.Version != 2 {
			t.Fatalf("updated = %+v", v1)
		}
	})
	t.Run("stale expectedVersion is CONFLICT", func(t *testing.T) {
		r := update(t, map[string]any{"householdCount": 5, "expectedVersion": 1})
		ue := wantUserError(t, r, "updateVillage", "CONFLICT")
		if !slices.Equal(ue.Field, []string{"input", "expectedVersion"}) {
			t.Fatalf("field = %v", ue.Field)
		}
		var p struct{ Village *village }
		field(t, r, "updateVillage", &p)
		if p.Village != nil {
			t.Fatalf("village returned with a conflict: %+v", p.Village)
		}
		var d struct{ Village village }
		h.data(t, h.admin, `{ village(code: "`+v1b+`") { id householdCount version kind } }`, nil, &d)
		if *d.Village.HouseholdCount != 1260 || d.Village.Version != 2 {
			t.Fatalf("conflicting update was applied: %+v", d.Village)
		}
	})
	t.Run("without expectedVersion, only given fields change", func(t *testing.T) {
		r := update(t, map[string]any{"householdCount": 1300})
		var p struct{ Village village }
		field(t, r, "updateVillage", &p)
		if *p.Village.HouseholdCount != 1300 || p.Village.Kind != "COMMUNITY" || p.Village.Version != 3 {
			t.Fatalf("updated = %+v", p.Village)
		}
	})
	t.Run("negative household count is INVALID", func(t *testing.T) {
		ue := wantUserError(t, update(t, map[string]any{"householdCount": -1}), "updateVillage", "INVALID")
		if !slices.Equal(ue.Field, []string{"input", "householdCount"}) {
			t.Fatalf("field = %v", ue.Field)
		}
	})
	t.Run("not a village is NOT_FOUND", func(t *testing.T) {
		rid := h.regionID(t, h.admin, town1)
		for _, id := range []string{rid, retype(t, rid, "Village"), fakeID("Village"), "garbage"} {
			r := h.Do(t, h.admin, mUpdateVillage, map[string]any{"in": map[string]any{"villageId": id, "householdCount": 1}})
			wantUserError(t, r, "updateVillage", "NOT_FOUND")
		}
	})
}

func TestGridsAndGroups(t *testing.T) {
	h := newHarness(t)
	vid := h.villageID(t, h.admin, v2a)
	clerk := h.Token(t, core.RoleVillageClerk, v2a)
	for _, c := range []struct{ mutation, doc, obj string }{
		{"addGrid", mAddGrid, "grid"},
		{"addVillagerGroup", mAddGroup, "villagerGroup"},
	} {
		t.Run(c.mutation, func(t *testing.T) {
			r := h.Do(t, clerk, c.doc, map[string]any{"in": map[string]any{"villageId": vid, "name": " 白马一组 "}})
			noUserErrors(t, r, c.mutation)
			var p map[string]json.RawMessage
			field(t, r, c.mutation, &p)
			var o *struct {
				ID, Name string
				Village  struct{ Code string }
			}
			if err := json.Unmarshal(p[c.obj], &o); err != nil || o == nil || o.Name != "白马一组" || o.Village.Code != v2a || o.ID == "" {
				t.Fatalf("%s = %s", c.obj, p[c.obj])
			}
		})
		t.Run(c.mutation+" duplicate name is CONFLICT", func(t *testing.T) {
			r := h.Do(t, h.admin, c.doc, map[string]any{"in": map[string]any{"villageId": vid, "name": "白马一组"}})
			wantUserError(t, r, c.mutation, "CONFLICT")
			var p map[string]any
			field(t, r, c.mutation, &p)
			if p[c.obj] != nil {
				t.Fatalf("%s returned on conflict: %v", c.obj, p)
			}
		})
		t.Run(c.mutation+" empty name is INVALID", func(t *testing.T) {
			r := h.Do(t, h.admin, c.doc, map[string]any{"in": map[string]any{"villageId": vid, "name": "   "}})
			wantUserError(t, r, c.mutation, "INVALID")
		})
		t.Run(c.mutation+" unknown village is NOT_FOUND", func(t *testing.T) {
			r := h.Do(t, h.admin, c.doc, map[string]any{"in": map[string]any{"villageId": fakeID("Village"), "name": "x"}})
			wantUserError(t, r, c.mutation, "NOT_FOUND")
		})
	}
	t.Run("the same name in another village is fine", func(t *testing.T) {
		other := h.villageID(t, h.admin, v2b)
		noUserErrors(t, h.Do(t, h.admin, mAddGroup, map[string]any{"in": map[string]any{"villageId": other, "name": "白马一组"}}), "addVillagerGroup")
	})
	var d struct {
		Village struct {
			Grids          []struct{ Name string }
			VillagerGroups []struct{ Name string }
		}
	}
	h.data(t, h.admin, `{ village(code: "`+v2a+`") { grids { name } villagerGroups { name } } }`, nil, &d)
	if len(d.Village.Grids) != 1 || len(d.Village.VillagerGroups) != 1 {
		t.Fatalf("village parts = %+v", d.Village)
	}
}

func TestTitles(t *testing.T) {
	h := newHarness(t)
	vid := h.villageID(t, h.admin, v1b)
	var first titleT
	t.Run("awardTitle", func(t *testing.T) {
		first = h.award(t, h.admin, vid, 3, 2008)
		if first.Level != "PROVINCIAL" || first.Batch == nil || *first.Batch != 3 || first.Year != 2008 || first.Status != "RETAINED" ||
			first.Version != 1 || first.Village.Code != v1b || first.DecisionDocument == nil || *first.DecisionDocument != "苏法宣〔2008〕3号" {
			t.Fatalf("title = %+v", first)
		}
		if len(first.History) != 1 {
			t.Fatalf("history = %+v", first.History)
		}
		e := first.History[0]
		if e.Action != "AWARDED" || e.FromStatus != nil || e.ToStatus != "RETAINED" || e.ActorName != "district_admin@320117" ||
			e.DecisionDocument == nil || *e.DecisionDocument != "苏法宣〔2008〕3号" || e.DecidedOn == nil || *e.DecidedOn != "2008-06-30" ||
			time.Since(e.At) > time.Minute {
			t.Fatalf("award event = %+v", e)
		}
	})
	t.Run("awardTitle errors", func(t *testing.T) {
		year := time.Now().Year()
		cases := []struct {
			name string
			in   map[string]any
			code string
		}{
			{"batch 0", map[string]any{"level": "PROVINCIAL", "batch": 0, "year": 2008}, "INVALID"},
			{"batch 15", map[string]any{"level": "PROVINCIAL", "batch": 15, "year": 2008}, "INVALID"},
			{"provincial without batch", map[string]any{"level": "PROVINCIAL", "year": 2008}, "INVALID"},
			{"national with batch", map[string]any{"level": "NATIONAL", "batch": 2, "year": 2008}, "INVALID"},
			{"future year", map[string]any{"level": "NATIONAL", "year": year + 1}, "INVALID"},
			{"second active provincial", map[string]any{"level": "PROVINCIAL", "batch": 4, "year": 2010}, "CONFLICT"},
			{"unknown village", map[string]any{"villageId": fakeID("Village"), "level": "NATIONAL", "year": 2010}, "NOT_FOUND"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := map[string]any{"villageId": vid}
				for k, v := range c.in {
					in[k] = v
				}
				r := h.Do(t, h.admin, mAwardTitle, map[string]any{"in": in})
				wantUserError(t, r, "awardTitle", c.code)
			})
		}
	})
	t.Run("national beside provincial", func(t *testing.T) {
		r := h.Do(t, h.admin, mAwardTitle, map[string]any{"in": map[string]any{"villageId": vid, "level": "NATIONAL", "year": 2020}})
		noUserErrors(t, r, "awardTitle")
		var p struct{ Title titleT }
		field(t, r, "awardTitle", &p)
		if p.Title.Level != "NATIONAL" || p.Title.Batch != nil || p.Title.DecisionDocument != nil {
			t.Fatalf("national = %+v", p.Title)
		}
	})
	change := func(in map[string]any) *apptest.Response {
		return h.Do(t, h.admin, mChangeTitle, map[string]any{"in": in})
	}
	t.Run("changeTitleStatus errors", func(t *testing.T) {
		cases := []struct {
			name string
			in   map[string]any
			code string
		}{
			{"reason required", map[string]any{"titleId": first.ID, "status": "REVOKED", "reason": "  "}, "INVALID"},
			{"same status", map[string]any{"titleId": first.ID, "status": "RETAINED", "reason": "复核保留"}, "INVALID"},
			{"stale version", map[string]any{"titleId": first.ID, "status": "REVOKED", "reason": "x", "expectedVersion": 7}, "CONFLICT"},
			{"unknown title", map[string]any{"titleId": fakeID("Title"), "status": "REVOKED", "reason": "x"}, "NOT_FOUND"},
			{"not a title ID", map[string]any{"titleId": vid, "status": "REVOKED", "reason": "x"}, "NOT_FOUND"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				wantUserError(t, change(c.in), "changeTitleStatus", c.code)
			})
		}
	})
	var revoked titleT
	t.Run("changeTitleStatus records history", func(t *testing.T) {
		r := change(map[string]any{"titleId": first.ID, "status": "REVOKED", "reason": " 发生民转刑案件 ", "expectedVersion": 1,
			"decisionDocument": "宁法〔2026〕12号", "decidedOn": "2026-07-30"})
		noUserErrors(t, r, "changeTitleStatus")
		var p struct{ Title titleT }
		field(t, r, "changeTitleStatus", &p)
		revoked = p.Title
		if revoked.Status != "REVOKED" || revoked.Version != 2 || *revoked.DecisionDocument != "宁法〔2026〕12号" || len(revoked.History) != 2 {
			t.Fatalf("revoked = %+v", revoked)
		}
		e := revoked.History[1]
		if revoked.History[0].Action != "AWARDED" || e.Action != "STATUS_CHANGED" || e.FromStatus == nil || *e.FromStatus != "RETAINED" ||
			e.ToStatus != "REVOKED" || e.Reason == nil || *e.Reason != "发生民转刑案件" || e.DecisionDocument == nil ||
			*e.DecisionDocument != "宁法〔2026〕12号" || e.DecidedOn == nil || *e.DecidedOn != "2026-07-30" ||
			e.ActorName != "district_admin@320117" || e.At.Before(revoked.History[0].At) || time.Since(e.At) > time.Minute {
			t.Fatalf("status event = %+v", e)
		}
	})
	qv := `{ village(code: "` + v1b + `") { titles { id status level } provincialTitle { id status } } }`
	type vt struct {
		Village struct {
			Titles          []struct{ ID, Status, Level string }
			ProvincialTitle *struct{ ID, Status string }
		}
	}
	t.Run("revoked title is not the provincial title", func(t *testing.T) {
		var d vt
		h.data(t, h.admin, qv, nil, &d)
		if d.Village.ProvincialTitle != nil {
			t.Fatalf("provincialTitle after revocation = %+v", d.Village.ProvincialTitle)
		}
		if len(d.Village.Titles) != 2 {
			t.Fatalf("titles = %+v", d.Village.Titles)
		}
	})
	t.Run("new award after revocation, old one cannot be restored", func(t *testing.T) {
		second := h.award(t, h.admin, vid, 12, 2022)
		var d vt
		h.data(t, h.admin, qv, nil, &d)
		if d.Village.ProvincialTitle == nil || d.Village.ProvincialTitle.ID != second.ID || len(d.Village.Titles) != 3 {
			t.Fatalf("after a new award: %+v", d.Village)
		}
		wantUserError(t, change(map[string]any{"titleId": first.ID, "status": "RETAINED", "reason": "复议撤销决定"}), "changeTitleStatus", "CONFLICT")
		r := change(map[string]any{"titleId": second.ID, "status": "CANCELLED", "reason": "区划调整，村名已不存在"})
		noUserErrors(t, r, "changeTitleStatus")
		r = change(map[string]any{"titleId": first.ID, "status": "RETAINED", "reason": "复议撤销决定"})
		noUserErrors(t, r, "changeTitleStatus")
		var p struct{ Title titleT }
		field(t, r, "changeTitleStatus", &p)
		if p.Title.Status != "RETAINED" || len(p.Title.History) != 3 || *p.Title.DecisionDocument != "宁法〔2026〕12号" {
			t.Fatalf("restored = %+v", p.Title)
		}
		h.data(t, h.admin, qv, nil, &d)
		if d.Village.ProvincialTitle == nil || d.Village.ProvincialTitle.ID != first.ID {
			t.Fatalf("provincialTitle after restoring = %+v", d.Village.ProvincialTitle)
		}
		// The restored title, not the newer cancelled one, is what the filters see.
		const qf = `query($f: VillageFilter) { region(code: "320117001") { villages(filter: $f) { totalCount nodes { code } } } }`
		for _, c := range []struct {
			filter map[string]any
			want   int
		}{
			{map[string]any{"hasTitle": true}, 1}, {map[string]any{"hasTitle": false}, 1},
			{map[string]any{"titleStatus": "RETAINED"}, 1}, {map[string]any{"titleStatus": "CANCELLED"}, 0},
			{map[string]any{"batch": 3}, 1}, {map[string]any{"batch": 12}, 0},
		} {
			var f struct {
				Region struct {
					Villages struct {
						TotalCount int
						Nodes      []struct{ Code string }
					}
				}
			}
			h.data(t, h.admin, qf, map[string]any{"f": c.filter}, &f)
			v := f.Region.Villages
			if v.TotalCount != c.want || len(v.Nodes) != c.want || (c.want == 1 && c.filter["hasTitle"] != false && v.Nodes[0].Code != v1b) {
				t.Fatalf("villages(%v) = %+v, want %d", c.filter, v, c.want)
			}
		}
	})
	t.Run("village_clerk may not award", func(t *testing.T) {
		clerk := h.Token(t, core.RoleVillageClerk, v1b)
		wantCode(t, h.Do(t, clerk, mAwardTitle, map[string]any{"in": map[string]any{"villageId": vid, "level": "NATIONAL", "year": 2020}}), "FORBIDDEN")
	})
}

func TestActivities(t *testing.T) {
	h := newHarness(t)
	vid := h.villageID(t, h.admin, v1b)
	clerk := h.Token(t, core.RoleVillageClerk, v1b)
	today := shanghaiNow().Format(time.DateOnly)
	var a activityT
	t.Run("recordActivity", func(t *testing.T) {
		r := h.Do(t, clerk, mRecord, map[string]any{"in": map[string]any{"villageId": vid, "kind": "CULTURE_ACTIVITY", "date": "2025-05-01",
			"title": " 法治文艺汇演 ", "place": "文化广场", "organiser": "秋湖村", "participants": 120, "description": "节目六个"}})
		noUserErrors(t, r, "recordActivity")
		var p struct{ Activity activityT }
		field(t, r, "recordActivity", &p)
		a = p.Activity
		if a.Kind != "CULTURE_ACTIVITY" || a.Date != "2025-05-01" || a.Title != "法治文艺汇演" || a.Place != "文化广场" ||
			a.Organiser != "秋湖村" || a.Participants == nil || *a.Participants != 120 || a.Description != "节目六个" ||
			a.Version != 1 || a.Village.Code != v1b || len(a.Evidence) != 0 || time.Since(a.CreatedAt) > time.Minute {
			t.Fatalf("activity = %+v", a)
		}
	})
	t.Run("recordActivity optional fields and today", func(t *testing.T) {
		r := h.Do(t, clerk, mRecord, map[string]any{"in": map[string]any{"villageId": vid, "kind": "LECTURE", "date": today, "title": "今日讲座"}})
		noUserErrors(t, r, "recordActivity")
		var p struct{ Activity activityT }
		field(t, r, "recordActivity", &p)
		if p.Activity.Date != today || p.Activity.Place != "" || p.Activity.Participants != nil {
			t.Fatalf("activity = %+v", p.Activity)
		}
	})
	t.Run("recordActivity errors", func(t *testing.T) {
		tomorrow := shanghaiNow().AddDate(0, 0, 1).Format(time.DateOnly)
		cases := []struct {
			name  string
			in    map[string]any
			code  string
			field []string
		}{
			{"future date", map[string]any{"date": tomorrow}, "INVALID", []string{"input", "date"}},
			{"empty title", map[string]any{"title": "  "}, "INVALID", []string{"input", "title"}},
			{"negative participants", map[string]any{"participants": -3}, "INVALID", []string{"input", "participants"}},
			{"unknown village", map[string]any{"villageId": fakeID("Village")}, "NOT_FOUND", []string{"input", "villageId"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := map[string]any{"villageId": vid, "kind": "LECTURE", "date": "2025-05-01", "title": "讲座"}
				for k, v := range c.in {
					in[k] = v
				}
				ue := wantUserError(t, h.Do(t, clerk, mRecord, map[string]any{"in": in}), "recordActivity", c.code)
				if !slices.Equal(ue.Field, c.field) {
					t.Fatalf("field = %v, want %v", ue.Field, c.field)
				}
			})
		}
		h.failsWith(t, clerk, mRecord, map[string]any{"in": map[string]any{"villageId": vid, "kind": "LECTURE", "date": "2025-02-30", "title": "x"}}, "INVALID")
	})
	t.Run("updateActivity", func(t *testing.T) {
		r := h.Do(t, clerk, mUpdateAct, map[string]any{"in": map[string]any{"id": a.ID, "expectedVersion": 1, "title": "法治文艺汇演（修订）",
			"participants": 150, "date": "2025-05-02"}})
		noUserErrors(t, r, "updateActivity")
		var p struct{ Activity activityT }
		field(t, r, "updateActivity", &p)
		u := p.Activity
		if u.ID != a.ID || u.Title != "法治文艺汇演（修订）" || *u.Participants != 150 || u.Date != "2025-05-02" || u.Version != 2 ||
			u.Place != "文化广场" || u.Kind != "CULTURE_ACTIVITY" || u.Description != "节目六个" {
			t.Fatalf("updated = %+v", u)
		}
	})
	t.Run("updateActivity errors", func(t *testing.T) {
		cases := []struct {
			name string
			in   map[string]any
			code string
		}{
			{"stale version", map[string]any{"expectedVersion": 1, "title": "x"}, "CONFLICT"},
			{"future date", map[string]any{"date": shanghaiNow().AddDate(0, 0, 1).Format(time.DateOnly)}, "INVALID"},
			{"empty title", map[string]any{"title": ""}, "INVALID"},
			{"unknown activity", map[string]any{"id": fakeID("Activity")}, "NOT_FOUND"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := map[string]any{"id": a.ID}
				for k, v := range c.in {
					in[k] = v
				}
				wantUserError(t, h.Do(t, clerk, mUpdateAct, map[string]any{"in": in}), "updateActivity", c.code)
			})
		}
		var d struct{ Node activityT }
		h.data(t, clerk, `query($id: ID!) { node(id: $id) { ... on Activity { `+activityFields+` } } }`, map[string]any{"id": a.ID}, &d)
		if d.Node.Version != 2 || d.Node.Title != "法治文艺汇演（修订）" {
			t.Fatalf("failed updates changed the activity: %+v", d.Node)
		}
	})
	t.Run("deleteActivity", func(t *testing.T) {
		wantUserError(t, h.Do(t, clerk, mDeleteAct, map[string]any{"in": map[string]any{"id": a.ID, "reason": " "}}), "deleteActivity", "INVALID")
		r := h.Do(t, clerk, mDeleteAct, map[string]any{"in": map[string]any{"id": a.ID, "reason": "重复登记"}})
		noUserErrors(t, r, "deleteActivity")
		var p struct{ Activity struct{ ID, Title string } }
		field(t, r, "deleteActivity", &p)
		if p.Activity.ID != a.ID || p.Activity.Title != "法治文艺汇演（修订）" {
			t.Fatalf("deleted = %+v", p.Activity)
		}
		var d struct{ Node *struct{ ID string } }
		h.data(t, clerk, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": a.ID}, &d)
		if d.Node != nil {
			t.Fatalf("deleted activity still a node")
		}
		var v struct {
			Village struct {
				Activities     struct{ TotalCount int }
				ActivityCounts struct{ CultureActivity int }
			}
		}
		h.data(t, clerk, `{ village(code: "`+v1b+`") { activities { totalCount } activityCounts(period: "2025") { cultureActivity } } }`, nil, &v)
		if v.Village.Activities.TotalCount != 1 || v.Village.ActivityCounts.CultureActivity != 0 {
			t.Fatalf("deleted activity still counted: %+v", v)
		}
		wantUserError(t, h.Do(t, clerk, mDeleteAct, map[string]any{"in": map[string]any{"id": a.ID, "reason": "再删"}}), "deleteActivity", "NOT_FOUND")
		wantUserError(t, h.Do(t, clerk, mUpdateAct, map[string]any{"in": map[string]any{"id": a.ID, "title": "x"}}), "updateActivity", "NOT_FOUND")
	})
}

// postForm does the browser's part of a presigned POST: every field, then the file last.
func postForm(t testing.TB, url string, fields []struct{ Name, Value string }, filename string, content []byte) *http.Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f.Name, f.Value); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = w.Close()
	res, err := http.Post(url, w.FormDataContentType(), &buf)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

type pendingT struct {
	ID        string
	URL       string
	Fields    []struct{ Name, Value string }
	ExpiresAt time.Time
	MaxSize   int
}

func (h *harness) requestUpload(t testing.TB, token, activityID, filename, contentType string, maxSize any) *apptest.Response {
	t.Helper()
	in := map[string]any{"activityId": activityID, "filename": filename, "contentType": contentType}
	if maxSize != nil {
		in["maxSize"] = maxSize
	}
	return h.Do(t, token, mRequestUpload, map[string]any{"in": in})
}

func pending(t testing.TB, r *apptest.Response) pendingT {
	t.Helper()
	noUserErrors(t, r, "requestEvidenceUpload")
	var p struct{ Upload pendingT }
	field(t, r, "requestEvidenceUpload", &p)
	return p.Upload
}

func confirm(h *harness, t testing.TB, token, uploadID, sum string) *apptest.Response {
	t.Helper()
	return h.Do(t, token, mConfirm, map[string]any{"in": map[string]any{"uploadId": uploadID, "sha256": sum}})
}

func download(t testing.TB, url string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func TestUploadEvidence(t *testing.T) {
	h := newHarness(t)
	vid := h.villageID(t, h.admin, v1b)
	clerk := h.Token(t, core.RoleVillageClerk, v1b)
	a := h.record(t, clerk, vid, "LECTURE", "2025-04-10", "讲座")
	b := h.record(t, clerk, vid, "LECTURE", "2025-05-10", "讲座二")
	img := pngImage(t, 7)
	var ev evidenceT
	t.Run("uploadEvidence", func(t *testing.T) {
		r := h.Upload(t, clerk, mUpload, map[string]any{"in": map[string]any{"activityId": a.ID, "file": nil, "sha256": strings.ToUpper(sha(img))}},
			"variables.in.file", "签到表 2025.png", img)
		noUserErrors(t, r, "uploadEvidence")
		var p struct{ Evidence evidenceT }
		field(t, r, "uploadEvidence", &p)
		ev = p.Evidence
		if ev.Filename != "签到表 2025.png" || ev.ContentType != "image/png" || ev.Size != len(img) || ev.Sha256 != sha(img) ||
			ev.Activity.ID != a.ID || len(ev.Duplicates) != 0 || time.Since(ev.CreatedAt) > time.Minute {
			t.Fatalf("evidence = %+v", ev)
		}
		if !ev.DownloadURLExpiresAt.After(time.Now()) || ev.DownloadURLExpiresAt.After(time.Now().Add(time.Hour)) {
			t.Fatalf("downloadUrlExpiresAt = %s", ev.DownloadURLExpiresAt)
		}
		res, body := download(t, ev.DownloadURL)
		if res.StatusCode != http.StatusOK || !bytes.Equal(body, img) {
			t.Fatalf("download: HTTP %d, %d bytes", res.StatusCode, len(body))
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
			t.Fatalf("Content-Disposition = %q", cd)
		}
		var d struct {
			Node struct{ Evidence []struct{ ID string } }
		}
		h.data(t, clerk, `query($id: ID!) { node(id: $id) { ... on Activity { evidence { id } } } }`, map[string]any{"id": a.ID}, &d)
		if len(d.Node.Evidence) != 1 || d.Node.Evidence[0].ID != ev.ID {
			t.Fatalf("activity evidence = %+v", d.Node.Evidence)
		}
	})
	t.Run("uploadEvidence errors", func(t *testing.T) {
		cases := []struct {
			name     string
			activity string
			file     []byte
			filename string
			sum      any
			code     string
		}{
			{"wrong sha256", b.ID, pngImage(t, 8), "x.png", sha([]byte("other")), "CHECKSUM_MISMATCH"},
			{"malformed sha256", b.ID, pngImage(t, 8), "x.png", "abc", "INVALID"},
			{"text file", b.ID, []byte("just some text, not evidence\n"), "x.png", nil, "FILE_TYPE_NOT_ALLOWED"},
			{"html disguised as png", b.ID, []byte("<html><body>hi</body></html>"), "x.png", nil, "FILE_TYPE_NOT_ALLOWED"},
			{"empty file", b.ID, nil, "x.png", nil, "FILE_TYPE_NOT_ALLOWED"},
			{"same file twice on one activity", a.ID, img, "again.png", nil, "DUPLICATE"},
			{"unknown activity", fakeID("Activity"), img, "x.png", nil, "NOT_FOUND"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := map[string]any{"activityId": c.activity, "file": nil}
				if c.sum != nil {
					in["sha256"] = c.sum
				}
				r := h.Upload(t, clerk, mUpload, map[string]any{"in": in}, "variables.in.file", c.filename, c.file)
				wantUserError(t, r, "uploadEvidence", c.code)
			})
		}
		var d struct {
			Village struct{ Evidence struct{ TotalCount int } }
		}
		h.data(t, clerk, `{ village(code: "`+v1b+`") { evidence { totalCount } } }`, nil, &d)
		if d.Village.Evidence.TotalCount != 1 {
			t.Fatalf("failed uploads left evidence: %d", d.Village.Evidence.TotalCount)
		}
	})
	t.Run("same file on another activity is a duplicate", func(t *testing.T) {
		e2 := h.upload(t, clerk, b.ID, "copy.png", img)
		if len(e2.Duplicates) != 1 || e2.Duplicates[0].ID != ev.ID {
			t.Fatalf("duplicates = %+v", e2.Duplicates)
		}
	})
}

func TestBrowserUpload(t *testing.T) {
	h := newHarness(t)
	vid := h.villageID(t, h.admin, v2a)
	tok := h.Token(t, core.RoleTownOfficial, town2)
	a := h.record(t, tok, vid, "BOARD_UPDATE", "2025-05-02", "五月宣传栏")
	img := pngImage(t, 99)
	t.Run("request, post, confirm", func(t *testing.T) {
		p := pending(t, h.requestUpload(t, tok, a.ID, "宣传栏.png", "image/png", 1<<20))
		if p.ID == "" || !strings.HasPrefix(p.URL, "http") || p.MaxSize != 1<<20 || !p.ExpiresAt.After(time.Now()) {
			t.Fatalf("pending = %+v", p)
		}
		names := map[string]string{}
		for _, f := range p.Fields {
			names[f.Name] = f.Value
		}
		if names["key"] == "" || names["policy"] == "" || names["Content-Type"] != "image/png" {
			t.Fatalf("fields = %+v", p.Fields)
		}
		// Before the browser posts, there is nothing to confirm.
		wantUserError(t, confirm(h, t, tok, p.ID, sha(img)), "confirmEvidenceUpload", "NOT_FOUND")
		if res := postForm(t, p.URL, p.Fields, "宣传栏.png", img); res.StatusCode/100 != 2 {
			t.Fatalf("presigned POST: HTTP %d", res.StatusCode)
		}
		r := confirm(h, t, tok, p.ID, sha(img))
		noUserErrors(t, r, "confirmEvidenceUpload")
		var c struct{ Evidence evidenceT }
		field(t, r, "confirmEvidenceUpload", &c)
		e := c.Evidence
		if e.Filename != "宣传栏.png" || e.ContentType != "image/png" || e.Size != len(img) || e.Sha256 != sha(img) || e.Activity.ID != a.ID {
			t.Fatalf("evidence = %+v", e)
		}
		if res, body := download(t, e.DownloadURL); res.StatusCode != 200 || !bytes.Equal(body, img) {
			t.Fatalf("download: HTTP %d", res.StatusCode)
		}
		wantUserError(t, confirm(h, t, tok, p.ID, sha(img)), "confirmEvidenceUpload", "CONFLICT")
	})
	t.Run("wrong sha256 is CHECKSUM_MISMATCH and discards the upload", func(t *testing.T) {
		other := pngImage(t, 100)
		p := pending(t, h.requestUpload(t, tok, a.ID, "b.png", "image/png", nil))
		if res := postForm(t, p.URL, p.Fields, "b.png", other); res.StatusCode/100 != 2 {
			t.Fatalf("presigned POST: HTTP %d", res.StatusCode)
		}
		ue := wantUserError(t, confirm(h, t, tok, p.ID, sha(img)), "confirmEvidenceUpload", "CHECKSUM_MISMATCH")
		if !slices.Equal(ue.Field, []string{"input", "sha256"}) {
			t.Fatalf("field = %v", ue.Field)
		}
		wantUserError(t, confirm(h, t, tok, p.ID, sha(other)), "confirmEvidenceUpload", "NOT_FOUND")
	})
	t.Run("content not of the declared type", func(t *testing.T) {
		p := pending(t, h.requestUpload(t, tok, a.ID, "c.pdf", "application/pdf", nil))
		if res := postForm(t, p.URL, p.Fields, "c.pdf", img); res.StatusCode/100 != 2 {
			t.Fatalf("presigned POST: HTTP %d", res.StatusCode)
		}
		wantUserError(t, confirm(h, t, tok, p.ID, sha(img)), "confirmEvidenceUpload", "FILE_TYPE_NOT_ALLOWED")
	})
	t.Run("storage enforces the policy", func(t *testing.T) {
		p := pending(t, h.requestUpload(t, tok, a.ID, "d.png", "image/png", 16))
		if res := postForm(t, p.URL, p.Fields, "d.png", img); res.StatusCode/100 == 2 {
			t.Fatalf("a file over maxSize was accepted by the storage (HTTP %d)", res.StatusCode)
		}
		p = pending(t, h.requestUpload(t, tok, a.ID, "e.png", "image/png", nil))
		for i := range p.Fields {
			if p.Fields[i].Name == "key" {
				p.Fields[i].Value = "evidence/elsewhere.png"
			}
		}
		if res := postForm(t, p.URL, p.Fields, "e.png", img); res.StatusCode/100 == 2 {
			t.Fatalf("another key was accepted by the storage (HTTP %d)", res.StatusCode)
		}
	})
	t.Run("requestEvidenceUpload errors", func(t *testing.T) {
		cases := []struct {
			name, activity, filename, contentType string
			maxSize                               any
			code                                  string
		}{
			{"disallowed content type", a.ID, "x.html", "text/html", nil, "FILE_TYPE_NOT_ALLOWED"},
			{"executable", a.ID, "x.exe", "application/x-msdownload", nil, "FILE_TYPE_NOT_ALLOWED"},
			{"over the size limit", a.ID, "x.png", "image/png", 100 << 20, "TOO_LARGE"},
			{"bad file name", a.ID, "   ", "image/png", nil, "INVALID"},
			{"unknown activity", fakeID("Activity"), "x.png", "image/png", nil, "NOT_FOUND"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := h.requestUpload(t, tok, c.activity, c.filename, c.contentType, c.maxSize)
				wantUserError(t, r, "requestEvidenceUpload", c.code)
				var p struct{ Upload *pendingT }
				field(t, r, "requestEvidenceUpload", &p)
				if p.Upload != nil {
					t.Fatalf("upload issued: %+v", p.Upload)
				}
			})
		}
	})
	t.Run("confirm errors", func(t *testing.T) {
		wantUserError(t, confirm(h, t, tok, fakeID("Upload"), sha(img)), "confirmEvidenceUpload", "NOT_FOUND")
		wantUserError(t, confirm(h, t, tok, a.ID, sha(img)), "confirmEvidenceUpload", "NOT_FOUND")
		wantUserError(t, confirm(h, t, tok, fakeID("Upload"), "not-hex"), "confirmEvidenceUpload", "INVALID")
	})
}

func TestDeleteEvidence(t *testing.T) {
	h := newHarness(t)
	vid := h.villageID(t, h.admin, v1b)
	a := h.record(t, h.admin, vid, "LECTURE", "2025-04-10", "讲座")
	e1 := h.upload(t, h.admin, a.ID, "1.png", pngImage(t, 1))
	e2 := h.upload(t, h.admin, a.ID, "2.png", pngImage(t, 2))
	del := func(id, reason string) *apptest.Response {
		return h.Do(t, h.admin, mDeleteEvidence, map[string]any{"in": map[string]any{"id": id, "reason": reason}})
	}
	t.Run("reason required", func(t *testing.T) {
		wantUserError(t, del(e1.ID, ""), "deleteEvidence", "INVALID")
	})
	t.Run("deletes", func(t *testing.T) {
		r := del(e1.ID, "照片模糊")
		noUserErrors(t, r, "deleteEvidence")
		var p struct{ DeletedID *string }
		field(t, r, "deleteEvidence", &p)
		if p.DeletedID == nil || *p.DeletedID != e1.ID {
			t.Fatalf("deletedId = %v", p.DeletedID)
		}
		var d struct {
			Node    *struct{ ID string }
			Village struct {
				Evidence struct {
					TotalCount int
					Nodes      []struct{ ID string }
				}
			}
			Act struct{ Evidence []struct{ ID string } }
		}
		h.data(t, h.admin, `query($e: ID!, $a: ID!) { node(id: $e) { id } village(code: "`+v1b+`") { evidence { totalCount nodes { id } } }
			act: node(id: $a) { ... on Activity { evidence { id } } } }`, map[string]any{"e": e1.ID, "a": a.ID}, &d)
		if d.Node != nil || d.Village.Evidence.TotalCount != 1 || d.Village.Evidence.Nodes[0].ID != e2.ID ||
			len(d.Act.Evidence) != 1 || d.Act.Evidence[0].ID != e2.ID {
			t.Fatalf("after delete: %+v", d)
		}
	})
	t.Run("again is NOT_FOUND", func(t *testing.T) {
		wantUserError(t, del(e1.ID, "再删"), "deleteEvidence", "NOT_FOUND")
		wantUserError(t, del(fakeID("Evidence"), "x"), "deleteEvidence", "NOT_FOUND")
		wantUserError(t, del(a.ID, "x"), "deleteEvidence", "NOT_FOUND")
	})
	t.Run("the same file can be linked again after deletion", func(t *testing.T) {
		h.upload(t, h.admin, a.ID, "1-again.png", pngImage(t, 1))
	})
	t.Run("evidence of a deleted activity is gone too", func(t *testing.T) {
		noUserErrors(t, h.Do(t, h.admin, mDeleteAct, map[string]any{"in": map[string]any{"id": a.ID, "reason": "登记错误"}}), "deleteActivity")
		var d struct {
			Node    *struct{ ID string }
			Village struct {
				Evidence struct {
					TotalCount int
					Nodes      []struct {
						ID       string
						Activity struct{ ID string }
					}
				}
			}
		}
		h.data(t, h.admin, `query($e: ID!) { node(id: $e) { id } village(code: "`+v1b+`") { evidence { totalCount nodes { id activity { id } } } } }`,
			map[string]any{"e": e2.ID}, &d)
		if d.Node != nil || d.Village.Evidence.TotalCount != 0 || len(d.Village.Evidence.Nodes) != 0 {
			t.Fatalf("evidence of a deleted activity: %+v", d)
		}
	})
}

func TestPagingArguments(t *testing.T) {
	h := newHarness(t)
	h.record(t, h.admin, h.villageID(t, h.admin, v1b), "LECTURE", "2025-04-10", "讲座")
	garbage := []string{"!!!", "Y3Vyc29y", base64.RawURLEncoding.EncodeToString([]byte("c2:x"))}
	cases := []struct {
		name, doc string
		badKey    bool // a well-formed cursor with a key the connection cannot read
	}{
		{"children", `query($f: Int, $a: String) { region(code: "320117") { children(first: $f, after: $a) { totalCount } } }`, false},
		{"villages", `query($f: Int, $a: String) { region(code: "320117") { villages(first: $f, after: $a) { totalCount } } }`, false},
		{"dutyStatus", `query($f: Int, $a: String) { region(code: "320117") { dutyStatus(period: "2025", first: $f, after: $a) { totalCount } } }`, false},
		{"activities", `query($f: Int, $a: String) { village(code: "320117001201") { activities(first: $f, after: $a) { totalCount } } }`, true},
		{"evidence", `query($f: Int, $a: String) { village(code: "320117001201") { evidence(first: $f, after: $a) { totalCount } } }`, true},
	}
	for _, c := range cases {
		t.Run(c.name+" first over 100 is INVALID", func(t *testing.T) {
			h.failsWith(t, h.admin, c.doc, map[string]any{"f": 101}, "INVALID")
			h.failsWith(t, h.admin, c.doc, map[string]any{"f": -1}, "INVALID")
			h.data(t, h.admin, c.doc, map[string]any{"f": 100}, &struct{}{})
		})
		t.Run(c.name+" garbage cursor is INVALID_CURSOR", func(t *testing.T) {
			for _, g := range garbage {
				h.failsWith(t, h.admin, c.doc, map[string]any{"a": g}, "INVALID_CURSOR")
			}
			if c.badKey {
				h.failsWith(t, h.admin, c.doc, map[string]any{"a": base64.RawURLEncoding.EncodeToString([]byte("c1:nonsense"))}, "INVALID_CURSOR")
			}
		})
	}
}
