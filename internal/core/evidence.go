package core

import "context"

// EvidenceOwner is what an evidence file belongs to: exactly one of an
// activity and an incident (the other id is 0).
type EvidenceOwner struct {
	ActivityID int64
	IncidentID int64
}

// ActivityEvidence is the owner of an activity's evidence.
func ActivityEvidence(id int64) EvidenceOwner { return EvidenceOwner{ActivityID: id} }

// IncidentEvidence is the owner of an incident's evidence.
func IncidentEvidence(id int64) EvidenceOwner { return EvidenceOwner{IncidentID: id} }

// Owner returns what the evidence belongs to.
func (e *Evidence) Owner() EvidenceOwner {
	return EvidenceOwner{ActivityID: e.ActivityID, IncidentID: e.IncidentID}
}

// Owner returns what the upload is for.
func (u *Upload) Owner() EvidenceOwner {
	return EvidenceOwner{ActivityID: u.ActivityID, IncidentID: u.IncidentID}
}

// IsIncident reports whether the owner is an incident.
func (o EvidenceOwner) IsIncident() bool { return o.IncidentID != 0 }

// InputField is the API's name of the owner's id: activityId or incidentId.
func (o EvidenceOwner) InputField() string {
	if o.IsIncident() {
		return "incidentId"
	}
	return "activityId"
}

// Check refuses an owner that names neither or both, or a non-positive id.
func (o EvidenceOwner) Check() error {
	if (o.ActivityID != 0) == (o.IncidentID != 0) || o.ActivityID < 0 || o.IncidentID < 0 {
		return Errorf(EINVALID, "请给出活动 ID 或案事件 ID 之一（只能一个）",
			"give exactly one of activityId and incidentId").WithField("input", "activityId")
	}
	return nil
}

// Permission is what attaching evidence to the owner, or removing it, takes:
// an activity's evidence is the village's record (RECORD_ACTIVITY); an
// incident's is a partner fact that can cost a title, so it takes the
// permission that records incidents (RECORD_PARTNER_FACTS).
func (o EvidenceOwner) Permission() Permission {
	if o.IsIncident() {
		return PermRecordPartnerFacts
	}
	return PermRecordActivity
}

// Require returns the context's actor when it may attach evidence to the
// owner or remove it, else an UNAUTHENTICATED or FORBIDDEN error naming the
// input field (when given).
func (o EvidenceOwner) Require(ctx context.Context, field ...string) (*Actor, error) {
	a, err := Require(ctx, o.Permission())
	if err == nil {
		return a, nil
	}
	e := AsError(err)
	if e.Code == EFORBIDDEN && o.IsIncident() {
		e = Errorf(EFORBIDDEN, "案事件的证明材料只能由有权登记案事件的角色（RECORD_PARTNER_FACTS）上传或删除",
			"only a role that may record incidents (RECORD_PARTNER_FACTS) may add or remove an incident's evidence")
	}
	if len(field) > 0 {
		e = e.WithField(field...)
	}
	return nil, e
}
