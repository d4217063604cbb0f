package playground

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// npmPackage is one npm package the page loads, pinned to an exact version.
type npmPackage struct {
	name    string
	version string
	files   []npmFile
}

// npmFile is a file inside a published package tarball.
type npmFile struct {
	path      string // slash-separated, relative to the package root
	integrity string // SRI hash of the published file
}

// pinned is the single place that decides which GraphiQL the page runs.
// Order matters: scripts execute in this order, and GraphiQL's UMD build
// expects the React and ReactDOM globals to exist already.
//
// jsDelivr serves npm files byte for byte, so the hashes are those of the
// files in the published tarballs. After changing a version, recompute them:
//
//	cd "$(mktemp -d)"
//	npm pack graphiql@3.9.0 react@18.3.1 react-dom@18.3.1
//	for t in *.tgz; do mkdir "${t%.tgz}" && tar -xzf "$t" -C "${t%.tgz}"; done
//	for f in */package/graphiql.min.css */package/graphiql.min.js \
//		*/package/umd/react.production.min.js */package/umd/react-dom.production.min.js; do
//		echo "$f sha384-$(openssl dgst -sha384 -binary "$f" | openssl base64 -A)"
//	done
//
// and update the npm command in the README (InstallCommand prints it).
var pinned = []npmPackage{
	{name: "react", version: "18.3.1", files: []npmFile{
		{path: "umd/react.production.min.js", integrity: "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z"},
	}},
	{name: "react-dom", version: "18.3.1", files: []npmFile{
		{path: "umd/react-dom.production.min.js", integrity: "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1"},
	}},
	{name: "graphiql", version: "3.9.0", files: []npmFile{
		{path: "graphiql.min.css", integrity: "sha384-QMux00XgRtwRLSYIY3kw2rj1ovk5AuuliAchk+HSQbqdbGFnz9GYuqIlOqxhwCE2"},
		{path: "graphiql.min.js", integrity: "sha384-8NGfVj4CVlqHajlZj+bPJT4thxPMHMJYn7DWK2CvtopLd02E7qsPHazniBYvVjOO"},
	}},
}

const (
	cdnBase   = "https://cdn.jsdelivr.net/npm/"
	assetBase = "/playground/assets/"
)

// spec returns the package spec npm and jsDelivr understand, e.g. "react@18.3.1".
func (p npmPackage) spec() string { return p.name + "@" + p.version }

// cdnURL returns where jsDelivr serves f.
func (p npmPackage) cdnURL(f npmFile) string { return cdnBase + p.spec() + "/" + f.path }

// localURL returns where the handler serves f in local mode. The version is
// part of the URL so the file can be cached for good.
func (p npmPackage) localURL(f npmFile) string { return assetBase + p.spec() + "/" + f.path }

// diskPath returns where npm install --prefix dir puts f.
func (p npmPackage) diskPath(dir string, f npmFile) string {
	return filepath.Join(dir, "node_modules", p.name, filepath.FromSlash(f.path))
}

// InstallCommand returns the npm command that fills dir with the pinned
// GraphiQL and React versions, in the layout New expects for
// Config.AssetsDir. dir is placed in double quotes so a shell variable such
// as "$PLAYGROUND_ASSETS_DIR" still expands.
func InstallCommand(dir string) string {
	// Sorted by name so the command reads like the one in the README.
	pkgs := slices.SortedFunc(slices.Values(pinned), func(a, b npmPackage) int {
		return strings.Compare(a.name, b.name)
	})
	specs := make([]string, len(pkgs))
	for i, p := range pkgs {
		specs[i] = p.spec()
	}
	return fmt.Sprintf("npm install --no-save --prefix %s %s", shellDoubleQuote(dir), strings.Join(specs, " "))
}

// shellDoubleQuote quotes s for a POSIX shell, leaving $ active.
func shellDoubleQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`")
	return `"` + r.Replace(s) + `"`
}

// localFile is a pinned file read from an assets directory.
type localFile struct {
	url  string
	body []byte
}

// readLocalAssets reads every pinned file from dir. It fails listing every
// missing file and every package installed at another version than pinned,
// so one run of the install command fixes everything it reports.
func readLocalAssets(dir string) ([]localFile, error) {
	var files []localFile
	var problems []string
	for _, p := range pinned {
		if msg, err := checkVersion(dir, p); err != nil {
			return nil, err
		} else if msg != "" {
			problems = append(problems, msg)
		}
		for _, f := range p.files {
			body, err := os.ReadFile(p.diskPath(dir, f))
			switch {
			case errors.Is(err, fs.ErrNotExist):
				problems = append(problems, "missing "+relPath(p, f.path))
			case err != nil:
				return nil, fmt.Errorf("read asset: %w", err)
			default:
				files = append(files, localFile{url: p.localURL(f), body: body})
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("assets dir %q is incomplete (%s); fill it with: %s",
			dir, strings.Join(problems, "; "), InstallCommand(dir))
	}
	return files, nil
}

// checkVersion returns a problem description when p is absent from dir or
// installed at another version. A mismatch matters because local URLs carry
// the pinned version and are cached for a year.
func checkVersion(dir string, p npmPackage) (string, error) {
	manifest := filepath.Join(dir, "node_modules", p.name, "package.json")
	data, err := os.ReadFile(manifest)
	if errors.Is(err, fs.ErrNotExist) {
		return "missing " + relPath(p, "package.json"), nil
	}
	if err != nil {
		return "", fmt.Errorf("read package manifest: %w", err)
	}
	var m struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("parse %s: %w", manifest, err)
	}
	if m.Version != p.version {
		return fmt.Sprintf("%s is version %q, want %q", p.name, m.Version, p.version), nil
	}
	return "", nil
}

// relPath names a package file relative to the assets directory.
func relPath(p npmPackage, file string) string {
	return path.Join("node_modules", p.name, file)
}
