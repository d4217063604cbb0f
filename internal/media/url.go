package media

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/ent/asset"
	"lectern/ent/course"
	"lectern/ent/schematype"
	"lectern/ent/user"
	"lectern/internal/cache"
	"lectern/internal/loader"
	"lectern/internal/storage"
	"lectern/internal/viewer"
)

// Rendition widths clients choose between (AssetSize).
const (
	WidthSmall  = 320
	WidthMedium = 800
	WidthLarge  = 1600
)

// ImageURL returns the URL of a's rendition closest to width without
// being wider (the narrowest when all are), for a cover or avatar the
// caller can see; nil until the image is READY. A published course's
// cover and an avatar get their stable public URL; a draft course's
// cover, seen only by its staff, a signed one that lives downloadTTL.
func (s *Service) ImageURL(ctx context.Context, a *ent.Asset, width int) (*string, error) {
	if a.Status != asset.StatusREADY || len(a.Renditions) == 0 {
		return nil, nil
	}
	r := pick(a.Renditions, width)
	public, err := s.public(ctx, a)
	if err != nil {
		return nil, err
	}
	if public {
		u := s.cfg.PublicBaseURL + "/" + r.Key
		return &u, nil
	}
	return s.signed(ctx, r.Key, storage.ContentDisposition{})
}

// DownloadURL returns a signed URL that downloads a's file as an
// attachment under its original name; nil until it is READY. The caller
// must have decided that the viewer may read it.
func (s *Service) DownloadURL(ctx context.Context, a *ent.Asset) (*string, error) {
	if a.Status != asset.StatusREADY {
		return nil, nil
	}
	return s.signed(ctx, a.ObjectKey, storage.ContentDisposition{Filename: a.Filename, Attachment: true})
}

// signed returns a short-lived URL of key. A response holding one is never
// cached: it would outlive the URL, and it is the caller's alone.
func (s *Service) signed(ctx context.Context, key string, d storage.ContentDisposition) (*string, error) {
	cache.Refuse(ctx)
	u, _, err := s.store.SignedGet(ctx, key, downloadTTL, d)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// pick returns the widest rendition not wider than width, or the
// narrowest.
func pick(rs []schematype.Rendition, width int) schematype.Rendition {
	best := rs[0]
	for _, r := range rs {
		switch {
		case r.Width <= width && (best.Width > width || r.Width > best.Width):
			best = r
		case best.Width > width && r.Width < best.Width:
			best = r
		}
	}
	return best
}

// public reports whether a, which the caller can see, may be read by
// anyone: an avatar (every account that may set one is verified, and
// verified profiles are public), or the cover of a published course.
// Anonymous callers see covers of published courses only, so they cost
// no lookup.
func (s *Service) public(ctx context.Context, a *ent.Asset) (bool, error) {
	switch {
	case a.Purpose == asset.PurposeAVATAR:
		return true, nil
	case a.Purpose != asset.PurposeCOURSE_COVER || a.CourseID == nil:
		return false, nil
	}
	if _, signedIn := viewer.FromContext(ctx); !signedIn {
		return true, nil
	}
	if l := loader.FromContext(ctx); l != nil {
		return l.CoursePublished(ctx, *a.CourseID)
	}
	return s.db.Ent.Course.Query().Where(course.ID(*a.CourseID), course.StatusEQ(course.StatusPUBLISHED)).Exist(ctx)
}

// AssetRoute is where the server serves public renditions when no
// ASSETS_PUBLIC_BASE_URL is set: AssetRoute + key.
const AssetRoute = "/v1/assets/"

// AssetHandler serves public renditions at AssetRoute: a published
// course's cover and a verified user's avatar, each rendition under a key
// naming its content, so the response may be cached for a year. Anything
// else, including a draft course's cover, is 404.
func (s *Service) AssetHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		key := strings.TrimPrefix(r.URL.Path, AssetRoute)
		rd, ok, err := s.openPublic(r.Context(), key)
		if err != nil {
			s.log.ErrorContext(r.Context(), "media: serving asset", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		defer rd.r.Close()
		h := w.Header()
		h.Set("Content-Type", rd.contentType)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'")
		h.Set("ETag", `"`+rd.etag+`"`)
		http.ServeContent(w, r, "", rd.r.ModTime(), rd.r)
	})
}

type publicObject struct {
	r           *storage.Reader
	contentType string
	etag        string
}

// openPublic opens key when it is a rendition of a public asset. Keys are
// publicPrefix/ASSET-ID/SHA256.EXT.
func (s *Service) openPublic(ctx context.Context, key string) (publicObject, bool, error) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || parts[0] != publicPrefix || storage.ValidateKey(key) != nil {
		return publicObject{}, false, nil
	}
	id, err := uuid.Parse(parts[1])
	if err != nil {
		return publicObject{}, false, nil
	}
	sys := viewer.SystemContext(ctx)
	a, err := s.db.Ent.Asset.Query().Where(asset.ID(id), asset.StatusEQ(asset.StatusREADY), asset.Or(
		asset.And(asset.PurposeEQ(asset.PurposeAVATAR), asset.HasAvatarOfWith(user.EmailVerifiedAtNotNil())),
		asset.And(asset.PurposeEQ(asset.PurposeCOURSE_COVER), asset.HasCoverOfWith(course.StatusEQ(course.StatusPUBLISHED))),
	)).Only(sys)
	if ent.IsNotFound(err) {
		return publicObject{}, false, nil
	}
	if err != nil {
		return publicObject{}, false, fmt.Errorf("public asset: %w", err)
	}
	for _, r := range a.Renditions {
		if r.Key != key {
			continue
		}
		rd, err := s.store.NewReader(ctx, key)
		if err != nil {
			return publicObject{}, false, fmt.Errorf("public asset: %w", err)
		}
		etag, _, _ := strings.Cut(parts[2], ".")
		return publicObject{r: rd, contentType: r.ContentType, etag: etag}, true, nil
	}
	return publicObject{}, false, nil
}
