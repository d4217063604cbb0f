// Package migrations embeds Lectern's versioned migrations, one directory per
// dialect, generated from the ent schema by ent/migrate/diff.go and checked
// for drift by the database tests.
package migrations

import "embed"

// FS holds sqlite/ and postgres/, each a directory of "<version>_<name>.sql"
// files and an atlas.sum integrity file.
//
//go:embed sqlite postgres
var FS embed.FS
