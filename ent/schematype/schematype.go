// Package schematype holds the Go types of the ent schema's JSON columns.
// It imports nothing of Lectern's, so the generated ent code can use it
// without a cycle (the schema package itself imports the generated code).
package schematype

// Rendition is one processed size of an image asset: what the object at
// Key holds and how large it is. Its key is under the public prefix and
// names the bytes' SHA-256, so the object never changes once written and
// may be cached for as long as a browser likes.
type Rendition struct {
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	ContentType string `json:"content_type"`
	Bytes       int64  `json:"bytes"`
	Key         string `json:"key"`
}
