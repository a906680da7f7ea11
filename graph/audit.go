package graph

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/vikstrous/dataloadgen"

	"github.com/lawvillage/lawvillage/graph/generated"
	"github.com/lawvillage/lawvillage/graph/model"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// auditTypes maps the object types of the audit trail to the API types whose
// global IDs name them.
var auditTypes = map[string]string{
	"region": "Region", "village": "Village", "grid": "Grid", "villager_group": "VillagerGroup",
	"title": "Title", "activity": "Activity", "evidence": "Evidence", "upload": "Upload", "token": "Token",
	"alert": "Alert", "webhook": "Webhook",
	"household": "Household", "legal_savvy_person": "LegalSavvyPerson", "legal_adviser": "LegalAdviser",
	"legal_checkup": "LegalCheckup", "mediation_case": "MediationCase", "survey": "Survey",
	"incident": "Incident", "culture_carrier": "CultureCarrier",
}

// auditTypeOf is the reverse of auditTypes: the audit object type of an API type.
var auditTypeOf = func() map[string]string {
	m := make(map[string]string, len(auditTypes))
	for k, v := range auditTypes {
		m[v] = k
	}
	return m
}()

// nodeTypes names the types of the schema that implement Node: an audit
// object type not listed in auditTypes whose CamelCase name is one of them
// (a type added later, such as review_proposal → ReviewProposal) gets global
// IDs too.
var nodeTypes = sync.OnceValue(func() map[string]bool {
	s := generated.NewExecutableSchema(generated.Config{}).Schema()
	m := map[string]bool{}
	if node := s.Types["Node"]; node != nil {
		for _, d := range s.GetPossibleTypes(node) {
			m[d.Name] = true
		}
	}
	return m
})

// apiType returns the API type whose global IDs name objects of the audit
// object type.
func apiType(objectType string) (string, bool) {
	if t, ok := auditTypes[objectType]; ok {
		return t, true
	}
	var b strings.Builder
	for _, part := range strings.Split(objectType, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	t := b.String()
	return t, nodeTypes()[t]
}

// auditType returns the audit object type of an API type (the reverse of apiType).
func auditType(typ string) (string, bool) {
	if t, ok := auditTypeOf[typ]; ok {
		return t, true
	}
	if !nodeTypes()[typ] {
		return "", false
	}
	var b strings.Builder
	for i, r := range typ {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String(), true
}

// canReadAudit reports whether the caller's role may read the audit trail.
func canReadAudit(ctx context.Context) bool {
	a := core.ActorFrom(ctx)
	return a != nil && a.Role.Can(core.PermReadAudit)
}

// auditEntry shows a stored audit record to the caller: global IDs where the
// object's type is known, and residents' personal data inside before and
// after masked by the one rule of core.MaskFor (by the record's region).
func auditEntry(ctx context.Context, e *postgres.AuditEntry) *model.AuditEntry {
	m := core.MaskFor(core.ActorFrom(ctx), deref(e.RegionPath))
	out := &model.AuditEntry{ID: globalID("AuditEntry", e.ID), At: e.At, ActorName: e.ActorName, ActorRole: e.ActorRole,
		Action: e.Action, ObjectType: e.ObjectType, RegionID: e.RegionID}
	if e.ObjectID != nil {
		n := int(*e.ObjectID)
		out.ObjectNumber = &n
		if typ, ok := apiType(e.ObjectType); ok && *e.ObjectID > 0 {
			id := globalID(typ, *e.ObjectID)
			out.ObjectID = &id
		}
	}
	if e.Before != nil {
		s := core.MaskAuditJSON(m, e.ObjectType, *e.Before)
		out.Before = &s
	}
	if e.After != nil {
		s := core.MaskAuditJSON(m, e.ObjectType, *e.After)
		out.After = &s
	}
	return out
}

// auditKey asks for the latest audit records of one object.
type auditKey struct {
	Type  string
	ID    int64
	First int
}

// newAuditLoader batches the auditHistory fields of one request into one
// statement (at the largest first asked; each key is cut to its own).
func newAuditLoader(db *postgres.DB, opts ...dataloadgen.Option) *dataloadgen.Loader[auditKey, []*postgres.AuditEntry] {
	return dataloadgen.NewLoader(list(func(ctx context.Context, keys []auditKey) ([][]*postgres.AuditEntry, error) {
		objs := make([]postgres.AuditObject, len(keys))
		limit := 0
		for i, k := range keys {
			objs[i] = postgres.AuditObject{Type: k.Type, ID: k.ID}
			limit = max(limit, k.First)
		}
		rows, err := db.AuditHistories(ctx, objs, limit)
		if err != nil {
			return nil, err
		}
		for i, k := range keys {
			if len(rows[i]) > k.First {
				rows[i] = rows[i][:k.First]
			}
		}
		return rows, nil
	}), opts...)
}

// auditHistory returns an object's latest audit records for auditHistory
// fields: an empty list for callers without READ_AUDIT (the field is on
// objects everyone reads, so refusing would null the whole object).
func (r *Resolver) auditHistory(ctx context.Context, objectType string, id int64, first *int) ([]*model.AuditEntry, error) {
	n, err := pageSize(first, 20)
	if err != nil {
		return nil, err
	}
	if n == 0 || !canReadAudit(ctx) {
		return []*model.AuditEntry{}, nil
	}
	rows, err := For(ctx, r.DB).Audit.Load(ctx, auditKey{Type: objectType, ID: id, First: n})
	if err != nil {
		return nil, err
	}
	out := make([]*model.AuditEntry, len(rows))
	for i, e := range rows {
		out[i] = auditEntry(ctx, e)
	}
	return out, nil
}

// auditFilter turns the API filter into the store's; an objectId of a type
// the audit trail does not know, or one contradicting objectType, matches
// nothing (ok false).
func auditFilter(f *model.AuditLogFilter) (postgres.AuditFilter, bool) {
	var out postgres.AuditFilter
	if f == nil {
		return out, true
	}
	out.ObjectType, out.ActorName, out.Action = deref(f.ObjectType), deref(f.ActorName), deref(f.Action)
	out.From, out.To = f.From, f.To
	if f.ObjectID != nil {
		typ, n, err := parseID(*f.ObjectID)
		if err != nil {
			return out, false
		}
		t, ok := auditType(typ)
		if !ok || (out.ObjectType != "" && out.ObjectType != t) {
			return out, false
		}
		out.ObjectType, out.ObjectID = t, &n
	}
	return out, true
}

// auditCursor is the cursor key of an audit record: its id.
func auditCursor(e *postgres.AuditEntry) string { return strconv.FormatInt(e.ID, 10) }
