package core

import (
	"context"
	"io"
	"slices"
)

// Role is what a token holder does in the programme.
type Role string

// Roles, from the village up, plus two read-only roles.
const (
	RoleVillageClerk     Role = "village_clerk"     // 村(社区)工作人员
	RoleTownOfficial     Role = "town_official"     // 镇(街道)司法所
	RoleDistrictAdmin    Role = "district_admin"    // 区司法局
	RoleCityOfficial     Role = "city_official"     // 市司法局
	RoleProvinceOfficial Role = "province_official" // 省司法厅
	RolePartnerReadonly  Role = "partner_readonly"  // 协作部门（只读）
	RoleAnalystReadonly  Role = "analyst_readonly"  // 分析人员（只读）
	RoleSystem           Role = "system"            // jobs and the command line; never issued as a token
)

// Roles lists the roles a token can carry.
var Roles = []Role{RoleVillageClerk, RoleTownOfficial, RoleDistrictAdmin, RoleCityOfficial,
	RoleProvinceOfficial, RolePartnerReadonly, RoleAnalystReadonly}

// ParseRole checks a role name (lower or upper case).
func ParseRole(s string) (Role, error) {
	all := make([]string, len(Roles))
	for i, r := range Roles {
		all[i] = string(r)
	}
	v, err := unmarshalEnum(s, all, "role")
	return Role(v), err
}

// MarshalGQL writes the role as a GraphQL enum.
func (r Role) MarshalGQL(w io.Writer) { marshalEnum(w, string(r)) }

// UnmarshalGQL reads the role from a GraphQL enum.
func (r *Role) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		s = ""
	}
	role, err := ParseRole(s)
	*r = role
	return err
}

// Rank orders the writing roles; read-only roles rank 0. A token holder may
// only issue tokens of a rank at or below their own, inside their scope.
func (r Role) Rank() int {
	switch r {
	case RoleVillageClerk:
		return 1
	case RoleTownOfficial:
		return 2
	case RoleDistrictAdmin:
		return 3
	case RoleCityOfficial:
		return 4
	case RoleProvinceOfficial:
		return 5
	case RoleSystem:
		return 99
	}
	return 0
}

// ReadOnly reports whether the role may change nothing.
func (r Role) ReadOnly() bool { return r == RolePartnerReadonly || r == RoleAnalystReadonly }

// Permission is a kind of action guarded by role (scope is guarded separately,
// by the database, for every action).
type Permission string

// Permissions checked by the @can directive on every mutation.
const (
	PermRead           Permission = "read"
	PermRecordActivity Permission = "record_activity" // activities and their evidence
	PermEditVillage    Permission = "edit_village"    // grids, groups, household counts, village kind
	PermManageTitles   Permission = "manage_titles"   // award titles and change their status
	PermImportRegions  Permission = "import_regions"  // load the hierarchy
	PermManageTokens   Permission = "manage_tokens"   // issue and revoke tokens
	// PermRecordPartnerFacts covers the facts partner departments supply
	// (incidents with their evidence files, lawsuits): they can revoke a
	// title, so the village and town under review may not enter or erase them.
	PermRecordPartnerFacts Permission = "record_partner_facts"
	// PermAcknowledgeAlerts lets officials acknowledge alerts with a comment.
	PermAcknowledgeAlerts Permission = "acknowledge_alerts"
	// PermRunJobs lets the province run any scheduled job by hand (jobs work
	// on every village, so only the widest role may start them).
	PermRunJobs Permission = "run_jobs"
	// PermManageWebhooks lets an area's bureau register where its alert digests go.
	PermManageWebhooks Permission = "manage_webhooks"
	// PermReadAudit lets the bureaus (district and up) read the audit trail
	// within their scope: auditLog and the auditHistory of objects.
	PermReadAudit Permission = "read_audit"
	// PermProposeReview lets towns (and above) propose revocations and
	// cancellations in the review's survey; the stage decides the rest.
	PermProposeReview Permission = "propose_review"
	// PermManageReview covers the review's decisions, checks, sample,
	// evaluation and confirmation; the stage decides which role may act.
	PermManageReview Permission = "manage_review"
	// PermAdjustDivisions records division adjustments (区划调整); scope
	// decides how far: a move between districts needs a city's scope.
	PermAdjustDivisions Permission = "adjust_divisions"
)

// Permissions lists every permission.
var Permissions = []Permission{PermRead, PermRecordActivity, PermEditVillage, PermManageTitles,
	PermImportRegions, PermManageTokens, PermRecordPartnerFacts, PermAcknowledgeAlerts, PermRunJobs, PermManageWebhooks, PermReadAudit,
	PermProposeReview, PermManageReview, PermAdjustDivisions}

var grants = map[Permission][]Role{
	PermRead:               append(slices.Clone(Roles), RoleSystem),
	PermRecordActivity:     {RoleVillageClerk, RoleTownOfficial, RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
	PermEditVillage:        {RoleVillageClerk, RoleTownOfficial, RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
	PermManageTitles:       {RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
	PermImportRegions:      {RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
	PermManageTokens:       {RoleTownOfficial, RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
	PermRecordPartnerFacts: {RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
	PermAcknowledgeAlerts:  {RoleTownOfficial, RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
	PermRunJobs:            {RoleProvinceOfficial, RoleSystem},
	PermManageWebhooks:     {RoleTownOfficial, RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
	PermReadAudit:          {RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
	PermProposeReview:      {RoleTownOfficial, RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
	PermManageReview:       {RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
	PermAdjustDivisions:    {RoleDistrictAdmin, RoleCityOfficial, RoleProvinceOfficial, RoleSystem},
}

// Can reports whether the role grants the permission.
func (r Role) Can(p Permission) bool { return slices.Contains(grants[p], r) }

// MarshalGQL writes the permission as a GraphQL enum.
func (p Permission) MarshalGQL(w io.Writer) { marshalEnum(w, string(p)) }

// UnmarshalGQL reads the permission from a GraphQL enum.
func (p *Permission) UnmarshalGQL(v any) error {
	all := make([]string, len(Permissions))
	for i, x := range Permissions {
		all[i] = string(x)
	}
	s, err := unmarshalEnum(v, all, "permission")
	*p = Permission(s)
	return err
}

// Actor is who makes a request: a token holder, or the system.
type Actor struct {
	TokenID   int64  // 0 for the system
	Name      string // the token's name, shown in histories; never personal data in logs
	Role      Role
	ScopeID   int64  // region id of the scope; 0 for the system
	ScopeCode string // division code of the scope
	ScopePath string // ltree path of the scope, or "*" for the system
}

// System is the actor of scheduled jobs and the command line: it sees everything.
func System(name string) *Actor {
	return &Actor{Name: name, Role: RoleSystem, ScopePath: "*"}
}

type actorKey struct{}

// WithActor returns a context carrying the actor.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of the context, or nil when anonymous.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// Require returns the context's actor when it holds the permission, else an
// UNAUTHENTICATED or FORBIDDEN error.
func Require(ctx context.Context, p Permission) (*Actor, error) {
	a := ActorFrom(ctx)
	if a == nil {
		return nil, Errorf(EUNAUTHENTICATED, "需要有效的访问令牌", "a valid access token is required")
	}
	if !a.Role.Can(p) {
		return nil, Errorf(EFORBIDDEN, "当前角色无权执行此操作", "your role may not do this")
	}
	return a, nil
}
