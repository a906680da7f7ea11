package model

import (
	"context"
	"time"
)

// AuditEntry is one record of the audit trail as a reader sees it: personal
// data inside Before and After is already masked for that reader.
type AuditEntry struct {
	ID           string
	At           time.Time
	ActorName    string
	ActorRole    string
	Action       string
	ObjectType   string
	ObjectID     *string // global ID, when the object's type exists in the API
	ObjectNumber *int
	RegionID     *int64 // resolved to Region by a resolver (null outside scope)
	Before       *string
	After        *string
}

// AuditEntryConnection is a page of the audit trail, newest first.
type AuditEntryConnection struct {
	Edges    []*AuditEntryEdge
	Nodes    []*AuditEntry
	PageInfo *PageInfo
	Counter  *Counter
}

// TotalCount counts the audit entries matching the filter in the reader's scope.
func (c *AuditEntryConnection) TotalCount(ctx context.Context) (int, error) {
	return c.Counter.total(ctx)
}

// AuditEntryEdge is one audit entry of a page.
type AuditEntryEdge struct {
	Cursor string
	Node   *AuditEntry
}
