package database

import (
	"errors"

	"lectern/ent"
	"lectern/internal/apperr"
)

// Coded gives an error from ent its place in the error catalogue where the
// domain meets the database: a row that is not there (or not visible to
// the caller) is NOT_FOUND, a write a constraint refused is CONFLICT.
// Errors that already carry a code, and all others, pass unchanged; nil
// stays nil.
func Coded(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*apperr.Error](err); ok {
		return err
	}
	switch {
	case ent.IsNotFound(err):
		return apperr.Wrap(err, apperr.NotFound, "not found")
	case ent.IsConstraintError(err):
		return apperr.Wrap(err, apperr.Conflict, "the change conflicts with existing data")
	}
	return err
}
