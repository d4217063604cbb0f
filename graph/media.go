package graph

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"lectern/ent"
	"lectern/ent/asset"
	"lectern/graph/model"
	"lectern/internal/gid"
	"lectern/internal/loader"
	"lectern/internal/media"
)

// uploadType is the global ID type of an upload: the asset it becomes,
// before completeUpload. Mutations that take an upload accept the ID of
// either, since they name the same file.
const uploadType = "Upload"

// requireUpload checks that id names an upload (or the asset it became).
func requireUpload(id gid.ID, field string) error {
	if id.Is(uploadType) {
		return nil
	}
	return id.Require("Asset", field)
}

// requireAll returns the first failed ID check, so every ID argument is
// checked before the domain is called.
func requireAll(checks ...error) error {
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	return nil
}

func createUploadPayload(u media.Upload, ue userErrors) *model.CreateUploadPayload {
	out := &model.CreateUploadPayload{UserErrors: ue}
	if len(ue) > 0 {
		return out
	}
	headers := make([]*model.HTTPHeader, 0, len(u.Request.Headers))
	for name, values := range u.Request.Headers {
		for _, v := range values {
			headers = append(headers, &model.HTTPHeader{Name: name, Value: v})
		}
	}
	slices.SortFunc(headers, func(a, b *model.HTTPHeader) int { return strings.Compare(a.Name, b.Name) })
	out.Upload = &model.Upload{ID: gid.New(uploadType, u.ID), URL: u.Request.URL, Method: u.Request.Method,
		Headers: headers, ExpiresAt: u.Request.ExpiresAt}
	return out
}

func completeUploadPayload(a *ent.Asset, ue userErrors) *model.CompleteUploadPayload {
	return &model.CompleteUploadPayload{Asset: a, UserErrors: ue}
}

func userPayload(u *ent.User, ue userErrors) *model.UserPayload {
	return &model.UserPayload{User: u, UserErrors: ue}
}

// assetStatus maps the stored status to the schema's. An upload not yet
// completed is no asset; no field can reach one (Asset rows are seen only
// through their attachments and completeUpload, which settles it first),
// so it reads as PROCESSING rather than failing the response.
func assetStatus(a *ent.Asset) model.AssetStatus {
	switch a.Status {
	case asset.StatusREADY:
		return model.AssetStatusReady
	case asset.StatusREJECTED:
		return model.AssetStatusRejected
	case asset.StatusFAILED:
		return model.AssetStatusFailed
	}
	return model.AssetStatusProcessing
}

// reason maps a stored reason to its schema enum, nil for none.
func reason[T ~string](s *string) *T {
	if s == nil {
		return nil
	}
	v := T(*s)
	return &v
}

// assetWidth maps AssetSize to the widest rendition it asks for.
func assetWidth(size *model.AssetSize) int {
	if size == nil {
		return media.WidthMedium
	}
	switch *size {
	case model.AssetSizeSmall:
		return media.WidthSmall
	case model.AssetSizeLarge:
		return media.WidthLarge
	}
	return media.WidthMedium
}

// attachmentReadable reports whether the caller may download attachment
// a: exactly when they may read its lesson's body.
func (r *Resolver) attachmentReadable(ctx context.Context, a *ent.Asset) (bool, error) {
	if a.LessonID == nil {
		return false, nil
	}
	// The handler gives every request its loaders: a lesson's attachments
	// look their lesson up once.
	l, err := loader.FromContext(ctx).Lesson(ctx, *a.LessonID)
	if err != nil {
		return false, fmt.Errorf("attachment's lesson: %w", err)
	}
	if l == nil { // a lesson the caller cannot see
		return false, nil
	}
	return r.access.LessonBodyReadable(ctx, l)
}
