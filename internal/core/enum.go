package core

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Enumerations are stored in lower snake case in the database and shown in
// upper snake case in GraphQL; these helpers convert between the two.

func marshalEnum(w io.Writer, v string) {
	_, _ = io.WriteString(w, strconv.Quote(strings.ToUpper(v)))
}

func unmarshalEnum(v any, allowed []string, what string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", Errorf(EINVALID, "%s必须是字符串", "%s must be a string", what)
	}
	l := strings.ToLower(s)
	for _, a := range allowed {
		if a == l {
			return a, nil
		}
	}
	return "", &Error{Code: EINVALID,
		Zh: fmt.Sprintf("%s取值无效：%q", what, s),
		En: fmt.Sprintf("invalid %s: %q", what, s)}
}

// RegionLevel is the level of a region in the hierarchy.
type RegionLevel int

// Region levels, matching the length of their division code (2/4/6/9/12 digits).
const (
	LevelProvince RegionLevel = 1
	LevelCity     RegionLevel = 2
	LevelDistrict RegionLevel = 3
	LevelTown     RegionLevel = 4
	LevelVillage  RegionLevel = 5
)

var levelNames = []string{"", "province", "city", "district", "town", "village"}

// String returns the level in lower case English.
func (l RegionLevel) String() string {
	if l < 1 || int(l) >= len(levelNames) {
		return "unknown"
	}
	return levelNames[l]
}

// MarshalGQL writes the level as a GraphQL enum.
func (l RegionLevel) MarshalGQL(w io.Writer) { marshalEnum(w, l.String()) }

// UnmarshalGQL reads the level from a GraphQL enum.
func (l *RegionLevel) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum(v, levelNames[1:], "level")
	if err != nil {
		return err
	}
	for i, n := range levelNames {
		if n == s {
			*l = RegionLevel(i)
		}
	}
	return nil
}

// VillageKind tells a village (村) from a community (社区).
type VillageKind string

// Village kinds.
const (
	KindVillage   VillageKind = "village"
	KindCommunity VillageKind = "community"
)

// MarshalGQL writes the kind as a GraphQL enum.
func (k VillageKind) MarshalGQL(w io.Writer) { marshalEnum(w, string(k)) }

// UnmarshalGQL reads the kind from a GraphQL enum.
func (k *VillageKind) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum(v, []string{"village", "community"}, "kind")
	*k = VillageKind(s)
	return err
}

// TitleLevel is the level of a demonstration title.
type TitleLevel string

// Title levels.
const (
	TitleProvincial TitleLevel = "provincial"
	TitleNational   TitleLevel = "national"
)

// MarshalGQL writes the level as a GraphQL enum.
func (t TitleLevel) MarshalGQL(w io.Writer) { marshalEnum(w, string(t)) }

// UnmarshalGQL reads the level from a GraphQL enum.
func (t *TitleLevel) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum(v, []string{"provincial", "national"}, "title level")
	*t = TitleLevel(s)
	return err
}

// TitleStatus is the status of a demonstration title.
type TitleStatus string

// Title statuses: retained (保留), revoked (撤销), cancelled (注销).
const (
	StatusRetained  TitleStatus = "retained"
	StatusRevoked   TitleStatus = "revoked"
	StatusCancelled TitleStatus = "cancelled"
)

// MarshalGQL writes the status as a GraphQL enum.
func (t TitleStatus) MarshalGQL(w io.Writer) { marshalEnum(w, string(t)) }

// UnmarshalGQL reads the status from a GraphQL enum.
func (t *TitleStatus) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum(v, []string{"retained", "revoked", "cancelled"}, "title status")
	*t = TitleStatus(s)
	return err
}

// ActivityKind is one of the six periodic duties of DOMAIN.md.
type ActivityKind string

// Activity kinds.
const (
	ActivityResponsibilityList ActivityKind = "responsibility_list" // 普法责任清单, yearly
	ActivityLecture            ActivityKind = "lecture"             // 法治讲座, monthly
	ActivityCulture            ActivityKind = "culture_activity"    // 法治文化活动, quarterly
	ActivityVolunteer          ActivityKind = "volunteer_service"   // 普法志愿服务, yearly per household
	ActivityBoardUpdate        ActivityKind = "board_update"        // 法治宣传栏更新, monthly
	ActivityConstitutionDay    ActivityKind = "constitution_day"    // 国家宪法日活动, yearly
)

// ActivityKinds lists every activity kind in a stable order.
var ActivityKinds = []ActivityKind{ActivityResponsibilityList, ActivityLecture, ActivityCulture,
	ActivityVolunteer, ActivityBoardUpdate, ActivityConstitutionDay}

// MarshalGQL writes the kind as a GraphQL enum.
func (k ActivityKind) MarshalGQL(w io.Writer) { marshalEnum(w, string(k)) }

// UnmarshalGQL reads the kind from a GraphQL enum.
func (k *ActivityKind) UnmarshalGQL(v any) error {
	all := make([]string, len(ActivityKinds))
	for i, a := range ActivityKinds {
		all[i] = string(a)
	}
	s, err := unmarshalEnum(v, all, "activity kind")
	*k = ActivityKind(s)
	return err
}
