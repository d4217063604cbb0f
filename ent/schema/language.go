package schema

import (
	"fmt"

	"golang.org/x/text/language"
)

// languageTag accepts a well-formed BCP 47 tag in canonical form ("en",
// "pt-BR"), so equal languages are stored equally and filter together.
func languageTag(s string) error {
	tag, err := language.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a BCP 47 language tag", s)
	}
	if tag.String() != s {
		return fmt.Errorf("%q is not canonical; use %q", s, tag.String())
	}
	return nil
}
