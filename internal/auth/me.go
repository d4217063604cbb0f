package auth

import (
	"context"

	"lectern/ent"
	"lectern/ent/user"
	"lectern/internal/database"
	"lectern/internal/viewer"
)

// Me returns the signed-in caller's account, or nil for anonymous callers
// and the system. It is read with the caller's own eyes, like any row they
// ask for.
func (s *Service) Me(ctx context.Context) (*ent.User, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok || v.IsSystem() {
		return nil, nil
	}
	u, err := s.db.Ent.User.Query().Where(user.ID(v.UserID)).Only(ctx)
	return u, database.Coded(err)
}
