package model

import (
	"context"

	"github.com/lawvillage/lawvillage/internal/core"
)

// ReviewResultConnection is a page of review results.
type ReviewResultConnection struct {
	Edges    []*ReviewResultEdge
	Nodes    []*core.ReviewResult
	PageInfo *PageInfo
	Counter  *Counter
}

// TotalCount counts the review's results matching the filter.
func (c *ReviewResultConnection) TotalCount(ctx context.Context) (int, error) {
	return c.Counter.total(ctx)
}

// ReviewResultEdge is one review result of a page.
type ReviewResultEdge struct {
	Cursor string
	Node   *core.ReviewResult
}
