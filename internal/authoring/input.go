package authoring

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"

	"lectern/ent/course"
	"lectern/internal/apperr"
)

// slugPattern is lowercase kebab-case, as the database requires.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// CourseInput is a course's editable details. For updates, nil fields are
// left as they are.
type CourseInput struct {
	Title, Slug, Summary, Description, Language *string
	Level                                       *course.Level
	Requirements, Takeaways                     []string
	// SetRequirements and SetTakeaways tell an empty list from an absent one.
	SetRequirements, SetTakeaways bool
}

// problems collects field errors, each at the path of its field within
// what the operation was given.
type problems []apperr.FieldError

func (p *problems) add(code apperr.UserCode, msg string, field ...string) {
	*p = append(*p, apperr.FieldError{Code: code, Field: field, Message: msg})
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return apperr.Invalid(p...)
}

// text trims *s and checks its length; a nil s is left alone.
func (p *problems) text(s *string, minLen, maxLen int, field string) {
	if s == nil {
		return
	}
	*s = strings.TrimSpace(*s)
	switch n := utf8.RuneCountInString(*s); {
	case n < minLen:
		p.add(apperr.UserRequired, "this field is required", field)
	case n > maxLen:
		p.add(apperr.UserTooLong, fmt.Sprintf("use at most %d characters", maxLen), field)
	}
}

// list trims each item and checks the list's bounds.
func (p *problems) list(items []string, maxItems, maxLen int, field string) []string {
	if len(items) > maxItems {
		p.add(apperr.UserInvalid, fmt.Sprintf("at most %d items", maxItems), field)
		return items
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = strings.TrimSpace(it)
		if n := utf8.RuneCountInString(out[i]); n == 0 || n > maxLen {
			p.add(apperr.UserInvalid, fmt.Sprintf("each item needs 1 to %d characters", maxLen), field, fmt.Sprint(i))
		}
	}
	return out
}

// check validates and normalises in; create requires title and slug.
func (in *CourseInput) check(create bool) error {
	var p problems
	if create && in.Title == nil {
		p.add(apperr.UserRequired, "a course needs a title", "title")
	}
	p.text(in.Title, 1, 200, "title")
	if create && in.Slug == nil {
		p.add(apperr.UserRequired, "a course needs a slug", "slug")
	}
	if in.Slug != nil {
		*in.Slug = strings.TrimSpace(*in.Slug)
		if utf8.RuneCountInString(*in.Slug) > 80 || !slugPattern.MatchString(*in.Slug) {
			p.add(apperr.UserInvalid, "use lowercase letters, digits and single hyphens (at most 80 characters), e.g. intro-to-sql", "slug")
		}
	}
	p.text(in.Summary, 0, 500, "summary")
	p.text(in.Description, 0, 100_000, "description")
	if in.Language != nil {
		tag, err := language.Parse(strings.TrimSpace(*in.Language))
		if err != nil {
			p.add(apperr.UserInvalid, "use a BCP 47 language tag such as en or pt-BR", "language")
		} else {
			canonical := tag.String()
			in.Language = &canonical
		}
	}
	if in.SetRequirements {
		in.Requirements = p.list(in.Requirements, 20, 200, "requirements")
	}
	if in.SetTakeaways {
		in.Takeaways = p.list(in.Takeaways, 20, 200, "takeaways")
	}
	return p.err()
}
