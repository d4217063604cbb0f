package graph

import (
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"lectern/internal/apperr"
	"lectern/internal/text"
)

const (
	// DefaultMaxLength bounds a String argument that declares no
	// @maxLength (every argument of Lectern's own schema declares one).
	DefaultMaxLength = 1_000
	// MaxIDLength bounds an ID: global IDs are far shorter.
	MaxIDLength = 100
)

// texts applies the text rule to every string the arguments of f carry,
// literal or from variables, at any depth of input objects and lists: each
// passes text.Check and its length bound, and is replaced by its NFC form
// where the value is read later, so the domain and the database see only
// clean, normalised text.
func (w walker) texts(f *ast.Field) *gqlerror.Error {
	if f.Definition == nil {
		return nil
	}
	for _, arg := range f.Arguments {
		def := f.Definition.Arguments.ForName(arg.Name)
		if def == nil {
			continue
		}
		c := stringCheck{schema: w.schema, vars: w.oc.Variables, rewrites: w.rewrites}
		if err := c.value(arg.Value, def.Type, def.Directives, arg.Name); err != nil {
			return limitError(f, err)
		}
	}
	return nil
}

type stringCheck struct {
	schema *ast.Schema
	// vars are the request's own variables, normalised in place.
	vars map[string]any
	// rewrites collects the literals to normalise: the document may be
	// shared.
	rewrites *rewrites
}

// value checks a value as written in the document.
func (c stringCheck) value(v *ast.Value, typ *ast.Type, dirs ast.DirectiveList, path string) *apperr.Error {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case ast.Variable:
		got, ok := c.vars[v.Raw]
		if !ok {
			return nil
		}
		clean, err := c.json(got, typ, dirs, path)
		if err == nil {
			c.vars[v.Raw] = clean
		}
		return err
	case ast.StringValue, ast.BlockValue:
		clean, err := c.text(v.Raw, typ, dirs, path)
		if err == nil && clean != v.Raw {
			c.rewrites.text(v, clean)
		}
		return err
	case ast.ListValue:
		for i, item := range v.Children {
			if err := c.value(item.Value, elem(typ), dirs, path+"."+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	case ast.ObjectValue:
		for _, child := range v.Children {
			fd := c.inputField(typ, child.Name)
			if fd == nil {
				continue
			}
			if err := c.value(child.Value, fd.Type, fd.Directives, path+"."+child.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// json checks a variable's value as decoded from the request and returns it
// with its strings normalised.
func (c stringCheck) json(v any, typ *ast.Type, dirs ast.DirectiveList, path string) (any, *apperr.Error) {
	switch x := v.(type) {
	case string:
		return c.text(x, typ, dirs, path)
	case []any:
		for i, item := range x {
			clean, err := c.json(item, elem(typ), dirs, path+"."+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			x[i] = clean
		}
	case []string:
		// A single value sent for a list is coerced into a typed slice of
		// one (JSON lists decode as []any): the client sent it at path.
		for i, item := range x {
			clean, err := c.text(item, elem(typ), dirs, path)
			if err != nil {
				return nil, err
			}
			x[i] = clean
		}
	case []map[string]any:
		for _, item := range x {
			if _, err := c.json(item, elem(typ), dirs, path); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		for name, item := range x {
			fd := c.inputField(typ, name)
			if fd == nil {
				continue
			}
			clean, err := c.json(item, fd.Type, fd.Directives, path+"."+name)
			if err != nil {
				return nil, err
			}
			x[name] = clean
		}
	}
	return v, nil
}

// text checks one string against the rule and its bound.
func (c stringCheck) text(s string, typ *ast.Type, dirs ast.DirectiveList, path string) (string, *apperr.Error) {
	if p := text.Check(s); p != nil {
		return "", apperr.Newf(apperr.BadUserInput, "argument %q contains %s", path, p.Reason)
	}
	// The bound is on what is stored, so it counts after normalising
	// (NFC can lengthen a string: U+1D160 becomes three code points).
	s = text.Normalize(s)
	limit := -1
	switch typ.Name() {
	case "String":
		limit = maxLength(dirs)
	case "ID":
		limit = MaxIDLength
	}
	// Bytes bound code points from above: most strings pass without
	// counting.
	if limit >= 0 && len(s) > limit && text.Len(s) > limit {
		return "", apperr.Newf(apperr.BadUserInput, "argument %q is longer than %d characters", path, limit)
	}
	return s, nil
}

func (c stringCheck) inputField(typ *ast.Type, name string) *ast.FieldDefinition {
	def := c.schema.Types[typ.Name()]
	if def == nil || def.Kind != ast.InputObject {
		return nil
	}
	return def.Fields.ForName(name)
}

// maxLength reads @maxLength(max:) from a definition's directives.
func maxLength(dirs ast.DirectiveList) int {
	d := dirs.ForName("maxLength")
	if d == nil {
		return DefaultMaxLength
	}
	// The schema declares max as Int!, so it is always there.
	n, err := strconv.Atoi(d.Arguments.ForName("max").Value.Raw)
	if err != nil {
		return DefaultMaxLength
	}
	return n
}

// elem is the item type of a list type (the type itself otherwise).
func elem(typ *ast.Type) *ast.Type {
	if typ.Elem != nil {
		return typ.Elem
	}
	return typ
}
