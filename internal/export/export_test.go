package export

import "github.com/google/uuid"

// SetPageSize makes s read n rows per page, so that tests see several
// pages of a small course.
func (s *Service) SetPageSize(n int) { s.pageSize = n }

// AfterProgress has s call f after it records the progress of export id.
func (s *Service) AfterProgress(f func(id uuid.UUID)) { s.afterProgress = f }
