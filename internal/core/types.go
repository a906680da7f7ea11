package core

import "time"

// Region is a node of the administrative hierarchy: province, city, district,
// town or village/community. Villages carry a kind and a household count.
type Region struct {
	ID             int64        `db:"id"`
	Code           string       `db:"code"`
	Name           string       `db:"name"`
	Level          RegionLevel  `db:"level"`
	Kind           *VillageKind `db:"kind"`
	ParentID       *int64       `db:"parent_id"`
	Path           string       `db:"path"`
	HouseholdCount *int         `db:"household_count"`
	Version        int          `db:"version"`
	CreatedAt      time.Time    `db:"created_at"`
	UpdatedAt      time.Time    `db:"updated_at"`
}

// Village is a region of level village; the GraphQL API shows it as its own type.
type Village struct{ Region }

// VillagerGroup is a 村民小组 of a village.
type VillagerGroup struct {
	ID        int64     `db:"id"`
	VillageID int64     `db:"village_id"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// Grid is a 网格 of a village.
type Grid struct {
	ID        int64     `db:"id"`
	VillageID int64     `db:"village_id"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// Title is a demonstration title held by a village.
type Title struct {
	ID               int64       `db:"id"`
	VillageID        int64       `db:"village_id"`
	Level            TitleLevel  `db:"level"`
	Batch            *int        `db:"batch"`
	Year             int         `db:"year"`
	Status           TitleStatus `db:"status"`
	DecisionDocument *string     `db:"decision_document"`
	Version          int         `db:"version"`
	CreatedAt        time.Time   `db:"created_at"`
	UpdatedAt        time.Time   `db:"updated_at"`
}

// TitleEvent is one entry of a title's history: its award or a status change.
type TitleEvent struct {
	ID               int64        `db:"id"`
	TitleID          int64        `db:"title_id"`
	VillageID        int64        `db:"village_id"`
	Action           string       `db:"action"`
	FromStatus       *TitleStatus `db:"from_status"`
	ToStatus         TitleStatus  `db:"to_status"`
	Reason           *string      `db:"reason"`
	DecisionDocument *string      `db:"decision_document"`
	DecidedOn        *time.Time   `db:"decided_on"`
	ActorName        string       `db:"actor_name"`
	At               time.Time    `db:"at"`
}

// Activity is one recorded "four ones" activity of a village.
type Activity struct {
	ID           int64        `db:"id"`
	VillageID    int64        `db:"village_id"`
	Kind         ActivityKind `db:"kind"`
	Date         time.Time    `db:"occurred_on"` // a civil date, at midnight UTC
	Title        string       `db:"title"`
	Place        string       `db:"place"`
	Organiser    string       `db:"organiser"`
	Participants *int         `db:"participants"`
	Description  string       `db:"description"`
	Version      int          `db:"version"`
	CreatedAt    time.Time    `db:"created_at"`
	UpdatedAt    time.Time    `db:"updated_at"`
}

// Evidence is a file (photo, sign-in sheet, PDF, Office document) attached to
// exactly one owner: an activity or an incident.
type Evidence struct {
	ID          int64      `db:"id"`
	VillageID   int64      `db:"village_id"`
	ActivityID  int64      `db:"activity_id"` // 0 when the evidence is an incident's
	IncidentID  int64      `db:"incident_id"` // 0 when the evidence is an activity's
	ObjectKey   string     `db:"object_key"`
	Filename    string     `db:"filename"`
	ContentType string     `db:"content_type"`
	Size        int64      `db:"size"`
	SHA256      string     `db:"sha256"`
	CreatedAt   time.Time  `db:"created_at"`
	RetainUntil time.Time  `db:"retain_until"`
	DeletedAt   *time.Time `db:"deleted_at"`
}

// Upload is a reserved evidence upload that is not yet confirmed.
type Upload struct {
	ID           int64     `db:"id"`
	VillageID    int64     `db:"village_id"`
	ActivityID   int64     `db:"activity_id"` // 0 when the upload is for an incident
	IncidentID   int64     `db:"incident_id"` // 0 when the upload is for an activity
	ObjectKey    string    `db:"object_key"`
	Filename     string    `db:"filename"`
	DeclaredType string    `db:"declared_type"`
	MaxSize      int64     `db:"max_size"`
	Method       string    `db:"method"`
	Status       string    `db:"status"`
	CreatedAt    time.Time `db:"created_at"`
	ExpiresAt    time.Time `db:"expires_at"`
}

// Token is an issued access token (its secret is never stored, only a hash).
type Token struct {
	ID            int64      `db:"id"`
	Name          string     `db:"name"`
	Role          Role       `db:"role"`
	ScopeRegionID int64      `db:"scope_region_id"`
	Hint          string     `db:"hint"`
	CreatedAt     time.Time  `db:"created_at"`
	ExpiresAt     *time.Time `db:"expires_at"`
	RevokedAt     *time.Time `db:"revoked_at"`
	LastUsedAt    *time.Time `db:"last_used_at"`
}

// MetricValue is one snapshot of a compliance metric for a region and period.
type MetricValue struct {
	Metric      string    `db:"metric"`
	RegionID    int64     `db:"region_id"`
	Period      string    `db:"period"`
	Numerator   float64   `db:"numerator"`
	Denominator *float64  `db:"denominator"`
	Value       *float64  `db:"value"`
	Threshold   float64   `db:"threshold"`
	Comparator  string    `db:"comparator"`
	Status      string    `db:"status"`
	SettingFrom time.Time `db:"setting_from"`
	ComputedAt  time.Time `db:"computed_at"`
}

// Alert is a raised compliance alert of a region for a period.
type Alert struct {
	ID              int64      `db:"id"`
	Rule            string     `db:"rule"`
	RegionID        int64      `db:"region_id"`
	Period          string     `db:"period"`
	Severity        string     `db:"severity"`
	State           string     `db:"state"`
	EscalationLevel int        `db:"escalation_level"`
	Value           *float64   `db:"value"`
	Threshold       *float64   `db:"threshold"`
	RaisedAt        time.Time  `db:"raised_at"`
	EscalatedAt     *time.Time `db:"escalated_at"`
	AcknowledgedAt  *time.Time `db:"acknowledged_at"`
	ResolvedAt      *time.Time `db:"resolved_at"`
	Version         int        `db:"version"`
}

// AlertEvent is one change of an alert's state.
type AlertEvent struct {
	ID        int64     `db:"id"`
	AlertID   int64     `db:"alert_id"`
	RegionID  int64     `db:"region_id"`
	At        time.Time `db:"at"`
	Action    string    `db:"action"`
	FromState *string   `db:"from_state"`
	ToState   string    `db:"to_state"`
	ActorName string    `db:"actor_name"`
	Comment   string    `db:"comment"`
}

// Webhook is where an area's alert digests are posted.
type Webhook struct {
	ID        int64     `db:"id"`
	RegionID  int64     `db:"region_id"`
	URL       string    `db:"url"`
	Format    string    `db:"format"`
	Active    bool      `db:"active"`
	CreatedAt time.Time `db:"created_at"`
}
