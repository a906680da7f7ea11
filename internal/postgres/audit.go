package postgres

import (
	"encoding/json"

	"github.com/lawvillage/lawvillage/internal/core"
)

// audit appends a record of a change to the audit trail, in the change's own
// transaction: who, which object, and the object before and after.
func audit(tx *Tx, action, objectType string, objectID int64, regionID *int64, before, after any) error {
	a := core.ActorFrom(tx.ctx)
	if a == nil {
		a = core.System("system")
	}
	var actorID *int64
	if a.TokenID != 0 {
		actorID = &a.TokenID
	}
	b, err := jsonOrNil(before)
	if err != nil {
		return err
	}
	af, err := jsonOrNil(after)
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO audit_log (actor_id, actor_name, actor_role, action, object_type, object_id, region_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		actorID, a.Name, string(a.Role), action, objectType, objectID, regionID, b, af)
	return err
}

func jsonOrNil(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}
