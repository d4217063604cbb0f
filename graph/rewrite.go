package graph

import (
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// rewrites are the changes the limits pass makes to a request's document:
// a default page size where a connection was given none, and string
// literals replaced by their NFC form. The parsed document may be shared
// with other requests (the query cache hands the same one to every request
// sending the same text), so the pass never writes to it: it collects the
// changes, and apply makes them in a copy of the request's own.
type rewrites struct {
	// pages are the connection fields that get `first: DefaultPageSize`.
	pages map[*ast.Field]bool
	// texts are string literals and the form they are read in.
	texts map[*ast.Value]string
}

func (r *rewrites) page(f *ast.Field) {
	if r.pages == nil {
		r.pages = map[*ast.Field]bool{}
	}
	r.pages[f] = true
}

func (r *rewrites) text(v *ast.Value, clean string) {
	if r.texts == nil {
		r.texts = map[*ast.Value]string{}
	}
	r.texts[v] = clean
}

func (r *rewrites) empty() bool { return len(r.pages) == 0 && len(r.texts) == 0 }

// apply returns a copy of doc, and of op within it, with the rewrites made.
// Schema definitions and positions stay shared: nothing writes to them.
func (r *rewrites) apply(doc *ast.QueryDocument, op *ast.OperationDefinition) (*ast.QueryDocument, *ast.OperationDefinition) {
	c := docCopier{rewrites: r, fragments: make(map[*ast.FragmentDefinition]*ast.FragmentDefinition, len(doc.Fragments))}
	out := &ast.QueryDocument{Position: doc.Position, Comment: doc.Comment}
	// Every fragment first, so spreads can point at their copies.
	out.Fragments = make(ast.FragmentDefinitionList, len(doc.Fragments))
	for i, f := range doc.Fragments {
		cp := *f
		out.Fragments[i] = &cp
		c.fragments[f] = &cp
	}
	for _, f := range out.Fragments {
		f.SelectionSet = c.selections(f.SelectionSet)
	}
	var newOp *ast.OperationDefinition
	out.Operations = make(ast.OperationList, len(doc.Operations))
	for i, o := range doc.Operations {
		if o != op {
			out.Operations[i] = o // not run: never read by this request
			continue
		}
		cp := *o
		cp.SelectionSet = c.selections(o.SelectionSet)
		out.Operations[i], newOp = &cp, &cp
	}
	return out, newOp
}

type docCopier struct {
	*rewrites
	fragments map[*ast.FragmentDefinition]*ast.FragmentDefinition
}

func (c docCopier) selections(set ast.SelectionSet) ast.SelectionSet {
	if set == nil {
		return nil
	}
	out := make(ast.SelectionSet, len(set))
	for i, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out[i] = c.field(s)
		case *ast.InlineFragment:
			cp := *s
			cp.SelectionSet = c.selections(s.SelectionSet)
			out[i] = &cp
		case *ast.FragmentSpread:
			cp := *s
			if def, ok := c.fragments[s.Definition]; ok {
				cp.Definition = def
			}
			out[i] = &cp
		default:
			out[i] = sel
		}
	}
	return out
}

func (c docCopier) field(f *ast.Field) *ast.Field {
	cp := *f
	cp.Arguments = make(ast.ArgumentList, len(f.Arguments), len(f.Arguments)+1)
	for i, a := range f.Arguments {
		arg := *a
		arg.Value = c.value(a.Value)
		cp.Arguments[i] = &arg
	}
	if c.pages[f] {
		setArg(&cp, "first", DefaultPageSize)
	}
	cp.SelectionSet = c.selections(f.SelectionSet)
	return &cp
}

func (c docCopier) value(v *ast.Value) *ast.Value {
	if v == nil {
		return nil
	}
	cp := *v
	if clean, ok := c.texts[v]; ok {
		cp.Raw = clean
	}
	if v.Children != nil {
		cp.Children = make(ast.ChildValueList, len(v.Children))
		for i, child := range v.Children {
			ch := *child
			ch.Value = c.value(child.Value)
			cp.Children[i] = &ch
		}
	}
	return &cp
}

// setArg gives field f the Int argument name = value, in place of any it
// has: f must be the request's own copy.
func setArg(f *ast.Field, name string, value int) {
	v := &ast.Value{Kind: ast.IntValue, Raw: strconv.Itoa(value), Position: f.Position}
	for i, arg := range f.Arguments {
		if arg.Name == name {
			cp := *arg
			cp.Value = v
			f.Arguments[i] = &cp
			return
		}
	}
	f.Arguments = append(f.Arguments, &ast.Argument{Name: name, Value: v, Position: f.Position})
}
