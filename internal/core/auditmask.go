package core

import (
	"bytes"
	"encoding/json"
)

// auditPersonal lists, per object type of the audit trail, the JSON fields of
// an audit record's before and after that hold residents' personal data, and
// how Mask shows each. The object types and field names are those the stores
// write (the JSON names of the record types in records.go).
var auditPersonal = map[string]map[string]func(Mask, string) string{
	"household":          {"head_name": Mask.Name, "phone": Mask.Phone},
	"legal_savvy_person": {"name": Mask.Name, "phone": Mask.Phone},
	"mediation_case":     {"parties": Mask.Names},
}

// MaskAuditJSON returns the JSON text of an audit record's before or after
// (of an object of the type) with residents' personal data shown as the mask
// says: every string field named in the type's list, at any depth (a record,
// a list of records, a record inside a summary), is passed through the mask.
// Text that is not JSON is returned masked whole when the type has personal
// data, so nothing personal slips through.
func MaskAuditJSON(m Mask, objectType, text string) string {
	fields := auditPersonal[objectType]
	if m.Clear || len(fields) == 0 || text == "" {
		return text
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return `"***"`
	}
	v = maskJSON(m, fields, v)
	b, err := json.Marshal(v)
	if err != nil {
		return `"***"`
	}
	return string(b)
}

func maskJSON(m Mask, fields map[string]func(Mask, string) string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if f, ok := fields[k]; ok {
				if s, ok := e.(string); ok {
					x[k] = f(m, s)
					continue
				}
			}
			x[k] = maskJSON(m, fields, e)
		}
	case []any:
		for i, e := range x {
			x[i] = maskJSON(m, fields, e)
		}
	}
	return v
}
