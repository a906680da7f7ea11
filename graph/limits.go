package graph

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lawvillage/lawvillage/internal/core"
)

// Limits are the abuse limits of the GraphQL endpoint; a zero field takes its default.
type Limits struct {
	MaxJSONBytes       int64         // largest non-multipart request body (default 1 MiB)
	MaxUploadFiles     int           // files in one multipart request (default 10)
	MaxTokens          int           // parser tokens in one query document (default 15000)
	MaxDepth           int           // nesting of selections (default 12)
	MaxAliases         int           // aliased fields in one operation, fragments counted where spread (default 30)
	MaxCost            int           // query cost, see queryCost (default 5000)
	WSReadLimit        int64         // largest websocket message (default 64 KiB)
	WSPingInterval     time.Duration // graphql-transport-ws ping interval; no pong within twice it closes (default 30 s)
	WSIdleTimeout      time.Duration // a websocket with no operation running this long is closed (default 5 min)
	WSMaxSubscriptions int           // subscriptions running at once on one websocket (default 20)
}

// DefaultLimits are the limits used where a field of Limits is zero.
var DefaultLimits = Limits{
	MaxJSONBytes:       1 << 20,
	MaxUploadFiles:     10,
	MaxTokens:          15000,
	MaxDepth:           12,
	MaxAliases:         30,
	MaxCost:            5000,
	WSReadLimit:        64 << 10,
	WSPingInterval:     30 * time.Second,
	WSIdleTimeout:      5 * time.Minute,
	WSMaxSubscriptions: 20,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	def := func(v *int, dv int) {
		if *v <= 0 {
			*v = dv
		}
	}
	def(&l.MaxUploadFiles, d.MaxUploadFiles)
	def(&l.MaxTokens, d.MaxTokens)
	def(&l.MaxDepth, d.MaxDepth)
	def(&l.MaxAliases, d.MaxAliases)
	def(&l.MaxCost, d.MaxCost)
	def(&l.WSMaxSubscriptions, d.WSMaxSubscriptions)
	if l.MaxJSONBytes <= 0 {
		l.MaxJSONBytes = d.MaxJSONBytes
	}
	if l.WSReadLimit <= 0 {
		l.WSReadLimit = d.WSReadLimit
	}
	if l.WSPingInterval <= 0 {
		l.WSPingInterval = d.WSPingInterval
	}
	if l.WSIdleTimeout <= 0 {
		l.WSIdleTimeout = d.WSIdleTimeout
	}
	return l
}

func init() {
	// Refusals of the document itself are request errors: HTTP 400 with
	// application/graphql-response+json (200 with application/json, as the
	// GraphQL-over-HTTP specification asks), an "error" message on websockets.
	for _, c := range []core.Code{core.EQUERYTOODEEP, core.ETOOMANYALIASES, core.EQUERYTOOCOMPLEX, core.EINTROSPECTIONOFF, core.EQUERYTOOLARGE} {
		errcode.RegisterErrorType(string(c), errcode.KindProtocol)
	}
}

// limitError is a refusal shown as it is by the error presenter: the code and
// the message in both languages.
func limitError(code core.Code, zh, en string, args ...any) *gqlerror.Error {
	e := core.Errorf(code, zh, en, args...)
	return &gqlerror.Error{Message: e.Error(),
		Extensions: map[string]any{"code": string(code), "messageZh": e.Zh, "messageEn": e.En}}
}

// parserLimitError turns the parser's own limit errors (token count, nesting)
// into coded refusals; any other error is returned unchanged.
func parserLimitError(e *gqlerror.Error, maxTokens int) *gqlerror.Error {
	switch {
	case strings.HasPrefix(e.Message, "exceeded token limit of "):
		out := limitError(core.EQUERYTOOLARGE, "查询文档超过 %d 个词法单元", "the query document is over %d tokens", maxTokens)
		out.Locations = e.Locations
		return out
	case strings.HasPrefix(e.Message, "exceeded maximum nesting depth of "):
		out := limitError(core.EQUERYTOODEEP, "查询嵌套过深", "the query is nested too deeply")
		out.Locations = e.Locations
		return out
	}
	return e
}

// QueryCost is reported in every response as extensions.cost, as Shopify does.
type QueryCost struct {
	RequestedQueryCost int `json:"requestedQueryCost"`
	MaximumAvailable   int `json:"maximumAvailable"`
}

const costStats = "lawvillage.cost"

// limitsExtension refuses, after validation and before execution, an
// operation that is too deep, has too many aliases, costs too much, or uses
// introspection while it is turned off; it records the cost for the response.
type limitsExtension struct {
	limits        Limits
	introspection bool
	es            graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &limitsExtension{}

// ExtensionName names the extension.
func (*limitsExtension) ExtensionName() string { return "Limits" }

// Validate keeps the schema for the cost calculation.
func (l *limitsExtension) Validate(es graphql.ExecutableSchema) error {
	l.es = es
	return nil
}

// MutateOperationContext checks the operation against the limits.
func (l *limitsExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Operation
	if op == nil {
		return nil
	}
	w := &walker{frags: map[string]int{}}
	if !l.introspection && w.introspects(op.SelectionSet) {
		return limitError(core.EINTROSPECTIONOFF, "本服务已关闭模式内省", "schema introspection is turned off on this server")
	}
	w.reset()
	if d := w.depth(op.SelectionSet); d > l.limits.MaxDepth {
		return limitError(core.EQUERYTOODEEP, "查询嵌套 %d 层，超过上限 %d 层", "the query is nested %d levels deep, over the limit of %d", d, l.limits.MaxDepth)
	}
	w.reset()
	if n := w.aliases(op.SelectionSet); n > l.limits.MaxAliases {
		return limitError(core.ETOOMANYALIASES, "查询含 %d 个别名字段，超过上限 %d 个", "the query has %d aliased fields, over the limit of %d", n, l.limits.MaxAliases)
	}
	cost := queryCost(ctx, l.es, op, oc.Variables)
	oc.Stats.SetExtension(costStats, &QueryCost{RequestedQueryCost: cost, MaximumAvailable: l.limits.MaxCost})
	if cost > l.limits.MaxCost {
		return limitError(core.EQUERYTOOCOMPLEX, "查询成本 %d 超过上限 %d，请减小 first 或少选字段", "the query costs %d, over the limit of %d: ask for fewer items (first) or fewer fields", cost, l.limits.MaxCost)
	}
	return nil
}

// reportCost adds extensions.cost to every response of an operation whose cost was computed.
func reportCost(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if graphql.HasOperationContext(ctx) {
		if c, ok := graphql.GetOperationContext(ctx).Stats.GetExtension(costStats).(*QueryCost); ok {
			graphql.RegisterExtension(ctx, "cost", c)
		}
	}
	return next(ctx)
}

// walker measures a selection set with fragments expanded where they are
// spread; each fragment is measured once (memoised), so a document that
// spreads fragments into each other many times costs linear time.
type walker struct {
	frags map[string]int
}

func (w *walker) reset() { clear(w.frags) }

func (w *walker) fragment(s *ast.FragmentSpread, measure func(ast.SelectionSet) int) int {
	if v, ok := w.frags[s.Name]; ok {
		return v
	}
	v := 0
	if s.Definition != nil {
		v = measure(s.Definition.SelectionSet)
	}
	w.frags[s.Name] = v
	return v
}

// depth is the deepest nesting of fields; introspection fields count as one
// (the validator's own rule limits their depth).
func (w *walker) depth(set ast.SelectionSet) int {
	d := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			fd := 1
			if !strings.HasPrefix(s.Name, "__") {
				fd += w.depth(s.SelectionSet)
			}
			d = max(d, fd)
		case *ast.FragmentSpread:
			d = max(d, w.fragment(s, w.depth))
		case *ast.InlineFragment:
			d = max(d, w.depth(s.SelectionSet))
		}
	}
	return d
}

// aliases counts fields that carry an alias.
func (w *walker) aliases(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				n = satAdd(n, 1)
			}
			n = satAdd(n, w.aliases(s.SelectionSet))
		case *ast.FragmentSpread:
			n = satAdd(n, w.fragment(s, w.aliases))
		case *ast.InlineFragment:
			n = satAdd(n, w.aliases(s.SelectionSet))
		}
	}
	return n
}

// introspects reports whether the selection asks for __schema or __type.
func (w *walker) introspects(set ast.SelectionSet) bool {
	count := func(set ast.SelectionSet) int {
		if w.introspects(set) {
			return 1
		}
		return 0
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" || w.introspects(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if w.fragment(s, count) > 0 {
				return true
			}
		case *ast.InlineFragment:
			if w.introspects(s.SelectionSet) {
				return true
			}
		}
	}
	return false
}

// assumedPage is the page size assumed when `first` is null and has no default.
const assumedPage = 100

// queryCost is the cost of an operation: every field costs 1 plus the cost of
// its selections, except that a field with a `first` argument (every
// connection, and any paginated list) costs 1 + first × the cost of its
// selections, so the cost grows with the number of items asked for (a field
// with a list argument `ids`, such as nodes, likewise with the number of
// ids). The rule is read from the schema, so a connection added later is
// costed the same way without code. A complexity function set in
// generated.Config.Complexity takes precedence. Introspection fields cost 1.
func queryCost(ctx context.Context, es graphql.ExecutableSchema, op *ast.OperationDefinition, vars map[string]any) int {
	c := &coster{ctx: ctx, es: es, schema: es.Schema(), vars: vars, frags: map[string]int{}}
	return c.set(op.SelectionSet)
}

type coster struct {
	ctx    context.Context
	es     graphql.ExecutableSchema
	schema *ast.Schema
	vars   map[string]any
	frags  map[string]int
}

func (c *coster) set(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = satAdd(total, c.field(s))
		case *ast.FragmentSpread:
			v, ok := c.frags[s.Name]
			if !ok && s.Definition != nil {
				v = c.set(s.Definition.SelectionSet)
				c.frags[s.Name] = v
			}
			total = satAdd(total, v)
		case *ast.InlineFragment:
			total = satAdd(total, c.set(s.SelectionSet))
		}
	}
	return total
}

func (c *coster) field(f *ast.Field) int {
	if f.Definition == nil || f.ObjectDefinition == nil || f.Name == "__schema" || f.Name == "__type" {
		return 1
	}
	child := 0
	if t := c.schema.Types[f.Definition.Type.Name()]; t != nil {
		switch t.Kind {
		case ast.Object, ast.Interface, ast.Union:
			child = c.set(f.SelectionSet)
		}
	}
	var args map[string]any
	if len(f.Definition.Arguments) > 0 {
		args = f.ArgumentMap(c.vars)
	}
	if v, ok := c.custom(f, child, args); ok {
		return v
	}
	if f.Definition.Arguments.ForName("first") != nil {
		return satAdd(1, satMul(firstArg(args["first"]), child))
	}
	if a := f.Definition.Arguments.ForName("ids"); a != nil && a.Type.Elem != nil {
		ids, _ := args["ids"].([]any)
		return satAdd(1, satMul(len(ids), child))
	}
	return satAdd(1, child)
}

// custom is the cost given by a complexity function of the generated schema,
// the largest over the implementations for a field of an interface.
func (c *coster) custom(f *ast.Field, child int, args map[string]any) (int, bool) {
	types := []*ast.Definition{f.ObjectDefinition}
	if f.ObjectDefinition.Kind == ast.Interface {
		types = c.schema.GetPossibleTypes(f.ObjectDefinition)
	}
	best, found := 0, false
	for _, t := range types {
		if v, ok := c.es.Complexity(c.ctx, t.Name, f.Name, child, args); ok && v >= 1 {
			best, found = max(best, v), true
		}
	}
	return best, found
}

// firstArg reads the value of a `first` argument.
func firstArg(v any) int {
	var n float64
	switch x := v.(type) {
	case nil:
		return assumedPage
	case int:
		n = float64(x)
	case int32:
		n = float64(x)
	case int64:
		n = float64(x)
	case float64:
		n = x
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return assumedPage
		}
		n = f
	default:
		return assumedPage
	}
	return int(max(0, min(n, math.MaxInt32)))
}

func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

func satMul(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}
