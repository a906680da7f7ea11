package graph

import (
	"testing"

	"github.com/lawvillage/lawvillage/graph/generated"
)

// TestAuditTypeNames checks the map from audit object types to API types: each
// names a type of the schema (Upload is the ID namespace of PendingUpload),
// and the conversion goes both ways, also for Node types the map leaves to
// the naming rule.
func TestAuditTypeNames(t *testing.T) {
	s := generated.NewExecutableSchema(generated.Config{}).Schema()
	for objectType, typ := range auditTypes {
		if s.Types[typ] == nil && typ != "Upload" {
			t.Errorf("audit object type %s maps to %s, which the schema does not have", objectType, typ)
		}
		if got, ok := apiType(objectType); !ok || got != typ {
			t.Errorf("apiType(%s) = %s, %v", objectType, got, ok)
		}
		if got, ok := auditType(typ); !ok || got != objectType {
			t.Errorf("auditType(%s) = %s, %v", typ, got, ok)
		}
	}
	for typ := range nodeTypes() {
		ot, ok := auditType(typ)
		if !ok {
			t.Errorf("Node type %s has no audit object type", typ)
			continue
		}
		if back, ok := apiType(ot); !ok || back != typ {
			t.Errorf("%s → %s → %s", typ, ot, back)
		}
	}
	if _, ok := apiType("region_import"); ok {
		t.Errorf("region_import has no API type")
	}
	if _, ok := auditType("Nope"); ok {
		t.Errorf("Nope is no API type")
	}
}
