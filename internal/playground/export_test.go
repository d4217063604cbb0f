package playground

// DefaultQuery exposes the editor's initial text to the external tests.
const DefaultQuery = defaultQuery

// PinnedFile describes one pinned npm file for the external tests.
type PinnedFile struct {
	Package, Version, Path, Integrity string
	CDNURL, LocalURL                  string
}

// PinnedFiles returns the pinned table flattened, in page order.
func PinnedFiles() []PinnedFile {
	var out []PinnedFile
	for _, p := range pinned {
		for _, f := range p.files {
			out = append(out, PinnedFile{
				Package:   p.name,
				Version:   p.version,
				Path:      f.path,
				Integrity: f.integrity,
				CDNURL:    p.cdnURL(f),
				LocalURL:  p.localURL(f),
			})
		}
	}
	return out
}
