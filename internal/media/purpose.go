package media

import (
	"slices"

	"lectern/ent/asset"
	"lectern/internal/viewer"
)

// rules are what one upload purpose accepts.
type rules struct {
	// types are the media types a file may have, as sniffed from its
	// first bytes and as declared.
	types []string
	// maxBytes caps the declared (and so the uploaded) size.
	maxBytes int64
	// image marks purposes whose files are processed into renditions.
	image bool
	// roles may upload for the purpose at all; which course or lesson the
	// file may go on is decided when it is attached.
	roles []viewer.Role
}

// Media types Lectern accepts.
const (
	typeJPEG     = "image/jpeg"
	typePNG      = "image/png"
	typeWebP     = "image/webp"
	typePDF      = "application/pdf"
	typeZIP      = "application/zip"
	typeText     = "text/plain"
	typeMarkdown = "text/markdown"
)

var imageTypes = []string{typeJPEG, typePNG, typeWebP}

var staffRoles = []viewer.Role{viewer.RoleInstructor, viewer.RoleAdmin}

var anyRole = []viewer.Role{viewer.RoleLearner, viewer.RoleInstructor, viewer.RoleAdmin}

var purposes = map[asset.Purpose]rules{
	asset.PurposeCOURSE_COVER: {types: imageTypes, maxBytes: 5 << 20, image: true, roles: staffRoles},
	asset.PurposeAVATAR:       {types: imageTypes, maxBytes: 2 << 20, image: true, roles: anyRole},
	asset.PurposeLESSON_ATTACHMENT: {
		types:    []string{typePDF, typePNG, typeJPEG, typeZIP, typeText, typeMarkdown},
		maxBytes: 50 << 20, roles: staffRoles,
	},
}

// allows reports whether a file of type t may be uploaded for the purpose.
func (r rules) allows(t string) bool { return slices.Contains(r.types, t) }

// sameType reports whether a file sniffed as sniffed matches the type it
// was declared as. Markdown has no magic bytes: it sniffs as plain text.
func sameType(declared, sniffed string) bool {
	return declared == sniffed || declared == typeMarkdown && sniffed == typeText
}

// Rendition widths of processed images, in pixels: a card, a page, a
// high-density page. The pixel limit refuses decompression bombs: a small
// file that declares a huge canvas.
var (
	renditionWidths = []int{320, 800, 1600}
	maxPixels       = int64(40_000_000)
)
