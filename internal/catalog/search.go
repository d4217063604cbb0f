package catalog

import (
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"lectern/ent/course"
	"lectern/ent/predicate"
)

// search matches courses whose title or summary contains term, ignoring
// case. It is the one dialect-specific query of the catalogue:
//   - PostgreSQL: ILIKE, served by the pg_trgm GIN indexes on title and
//     summary (terms of three or more characters use them);
//   - SQLite: LIKE, which ignores case for ASCII letters only, scanning the
//     visible courses (the catalogue is small enough on an embedded database).
func search(dia, term string) predicate.Course {
	pattern := "%" + escapeLike(term) + "%"
	op := "LIKE"
	if dia == dialect.Postgres {
		op = "ILIKE"
	}
	return predicate.Course(func(s *sql.Selector) {
		s.Where(sql.Or(
			likeEscaped(s.C(course.FieldTitle), op, pattern),
			likeEscaped(s.C(course.FieldSummary), op, pattern),
		))
	})
}

func likeEscaped(col, op, pattern string) *sql.Predicate {
	return sql.P(func(b *sql.Builder) {
		b.WriteString(col).WriteString(" " + op + " ").Arg(pattern).WriteString(` ESCAPE '\'`)
	})
}

// escapeLike makes %, _ and \ in user input match themselves.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
