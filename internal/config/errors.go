package config

import (
	"fmt"
	"strings"
)

// ValidationError reports every problem Load found. Each problem names the
// variable and quotes the rejected value, with database passwords redacted.
type ValidationError struct {
	// Problems holds one "VARIABLE: reason" line per problem, in the order
	// the variables are read.
	Problems []string
}

// Error returns a header line followed by one indented line per problem.
func (e *ValidationError) Error() string {
	noun := "problems"
	if len(e.Problems) == 1 {
		noun = "problem"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "config: %d %s:", len(e.Problems), noun)
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}
