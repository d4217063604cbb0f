package export

import (
	"context"
	"fmt"

	"lectern/ent"
	"lectern/ent/course"
	entexport "lectern/ent/export"
	"lectern/internal/cache"
	"lectern/internal/storage"
	"lectern/internal/viewer"
)

// URL returns a signed URL, valid DownloadTTL, that downloads e's file as
// an attachment (lectern-learners-<course slug>-<date>.csv or
// lectern-my-data-<date>.json); nil unless e SUCCEEDED and has not
// expired, and nil for anyone but its requester. A MY_DATA_JSON file lists
// the account's sessions and API tokens, so an API token gets no URL for
// it, as it gets no list of them.
func (s *Service) URL(ctx context.Context, e *ent.Export) (*string, error) {
	v, ok := viewer.FromContext(ctx)
	switch {
	case !ok || v.UserID != e.UserID:
		return nil, nil
	case e.Status != entexport.StatusSUCCEEDED || e.ObjectKey == nil:
		return nil, nil
	case e.ExpiresAt != nil && !s.now().Before(*e.ExpiresAt):
		return nil, nil
	case e.Kind == MyDataJSON && !v.SeesCredentials():
		return nil, nil
	}
	name, err := s.filename(ctx, e)
	if err != nil {
		return nil, err
	}
	// The URL is the caller's alone and outlives no cached response.
	cache.Refuse(ctx)
	u, _, err := s.store.SignedGet(ctx, *e.ObjectKey, DownloadTTL, storage.ContentDisposition{Filename: name, Attachment: true})
	if err != nil {
		return nil, fmt.Errorf("export url: %w", err)
	}
	return &u, nil
}

// filename names e's file for the download, dated by when it was written.
// A learners export names its course by slug when the caller can still
// see the course (List loads it with the page; a single export costs a
// query).
func (s *Service) filename(ctx context.Context, e *ent.Export) (string, error) {
	at := e.CreatedAt
	if e.FinishedAt != nil {
		at = *e.FinishedAt
	}
	date := at.UTC().Format("2006-01-02")
	if e.Kind == MyDataJSON {
		return "lectern-my-data-" + date + ".json", nil
	}
	slug := ""
	switch c, err := e.Edges.CourseOrErr(); {
	case err == nil && c != nil:
		slug = c.Slug
	case e.CourseID != nil && !ent.IsNotLoaded(err):
		// Loaded and not visible to the caller.
	case e.CourseID != nil:
		c, err := s.db.Ent.Course.Query().Where(course.ID(*e.CourseID)).Select(course.FieldSlug).Only(ctx)
		switch {
		case err == nil:
			slug = c.Slug
		case !ent.IsNotFound(err):
			return "", fmt.Errorf("export filename: %w", err)
		}
	}
	if slug == "" {
		return "lectern-learners-" + date + ".csv", nil
	}
	return "lectern-learners-" + slug + "-" + date + ".csv", nil
}
