package core

import (
	"io"
	"time"
)

// Division adjustments (区划调整): a village is renamed, merged into another,
// split, or moved to another town or district. Each keeps the hierarchy's
// history and applies rules C1-C3 of the review standards to the titles it
// touches.

// DivisionKind is the kind of a division adjustment.
type DivisionKind string

const (
	DivisionRename DivisionKind = "rename"
	DivisionMerge  DivisionKind = "merge"
	DivisionSplit  DivisionKind = "split"
	DivisionMove   DivisionKind = "move"
)

// DivisionKinds lists every kind.
var DivisionKinds = []DivisionKind{DivisionRename, DivisionMerge, DivisionSplit, DivisionMove}

func (k DivisionKind) MarshalGQL(w io.Writer) { marshalEnum(w, string(k)) }
func (k *DivisionKind) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum(v, []string{"rename", "merge", "split", "move"}, "kind")
	*k = DivisionKind(s)
	return err
}

// Zh names the kind in Chinese.
func (k DivisionKind) Zh() string {
	return map[DivisionKind]string{DivisionRename: "更名", DivisionMerge: "合并", DivisionSplit: "拆分", DivisionMove: "调整隶属"}[k]
}

// DivisionChange is one recorded division adjustment.
type DivisionChange struct {
	ID               int64        `db:"id"`
	Kind             DivisionKind `db:"kind"`
	EffectiveOn      time.Time    `db:"effective_on"`
	DecisionDocument string       `db:"decision_document"`
	Note             string       `db:"note"`
	RegionIDs        []int64      `db:"-"`
	Details          DivisionDetails
	ActorName        string    `db:"actor_name"`
	At               time.Time `db:"at"`
}

// DivisionDetails says what an adjustment changed, region by region.
type DivisionDetails struct {
	Regions []DivisionRegion `json:"regions"`
}

// DivisionRegion is one region as an adjustment found and left it.
type DivisionRegion struct {
	RegionID         int64  `json:"regionId"`
	Role             string `json:"role"` // renamed, source, target, split_source, created, moved
	CodeBefore       string `json:"codeBefore,omitempty"`
	NameBefore       string `json:"nameBefore,omitempty"`
	ParentBefore     string `json:"parentBefore,omitempty"` // code of the town before
	CodeAfter        string `json:"codeAfter"`
	NameAfter        string `json:"nameAfter"`
	ParentAfter      string `json:"parentAfter"`
	Dissolved        bool   `json:"dissolved"`
	TerritoryChanged bool   `json:"territoryChanged"`
}

// RegionVersion is a region as it was between two civil dates.
type RegionVersion struct {
	ID         int64        `db:"id"`
	RegionID   int64        `db:"region_id"`
	ValidFrom  *time.Time   `db:"valid_from"` // nil: since before the records
	ValidTo    *time.Time   `db:"valid_to"`   // nil: still valid
	Code       string       `db:"code"`
	Name       string       `db:"name"`
	Level      RegionLevel  `db:"level"`
	Kind       *VillageKind `db:"kind"`
	ParentID   *int64       `db:"parent_id"`
	Path       string       `db:"path"`
	ChangeID   *int64       `db:"change_id"`
	ClosedBy   *int64       `db:"closed_by"`
	RecordedAt time.Time    `db:"recorded_at"`
	// The parent as it was on the first day of this version (or today's parent
	// for versions from before the records); empty when outside the reader's scope.
	ParentCode string `db:"parent_code"`
	ParentName string `db:"parent_name"`
}

// TitleRuling is a rule C1-C3 applied to a title by a division adjustment.
type TitleRuling struct {
	ID          int64     `db:"id"`
	ChangeID    int64     `db:"change_id"`
	TitleID     int64     `db:"title_id"`
	VillageID   int64     `db:"village_id"`
	Rule        string    `db:"rule"`
	EffectiveOn time.Time `db:"effective_on"`
	Note        string    `db:"note"`
	NoteEn      string    `db:"note_en"`
	ReviewID    *int64    `db:"review_id"`
	CreatedAt   time.Time `db:"created_at"`
}
