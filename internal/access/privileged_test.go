package access_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// privileged lists every place that reads with the system's eyes instead
// of the caller's, by function, with the reason it must. A read through a
// system client (database.DB.System, database.Tx.System) or under the
// system viewer (viewer.SystemContext) that is not listed here fails
// TestPrivilegedReadsAreListed, and so does an entry that no longer
// matches any code: adding one is a decision to make in review.
var privileged = map[string]string{
	// Work of the process itself, which no caller triggers.
	"internal/jobs.(*EmailWorker).Work": "a queued email reads its delivery claim and the account it goes to",
	"internal/seed.Demo":                "loads the demo catalogue",
	"internal/seed.Synthetic":           "loads a synthetic catalogue",
	"internal/seed.SetDemoPasswords":    "sets the demo accounts' passwords",
	"internal/media.(*Service).Process": "a queued image job reads and records the asset it renders",
	"internal/media.(*Service).Cleanup": "the media sweep reads every asset to find expired uploads and orphaned objects",
	"internal/export.(*Service).Run":    "a queued export job reads the rows its file holds (a course's enrolments, all of one user's records)",
	"internal/export.(*Service).Expire": "the export expiry job reads every export to expire files and find orphaned ones",

	// Stored idempotent answers belong to no caller's rows: the service
	// finds and writes them by the caller's scope, which it derives itself.
	"internal/idempotency.(*Service).find":    "a stored answer is looked up by the caller's scope and key",
	"internal/idempotency.(*Service).store":   "the answer is stored under the caller's scope and key",
	"internal/idempotency.(*Service).Cleanup": "the hourly cleanup deletes expired answers of every caller",

	// The public rendition route answers anyone, signed in or not, with
	// the same rule (a verified user's avatar, a published course's cover),
	// decided in the query itself.
	"internal/media.(*Service).openPublic": "whether a rendition belongs to a public asset",

	// The identity service decides who is calling, so it reads accounts
	// and credentials no caller may list: New gives it one system client
	// (Service.sys) for reads outside transactions; inside them it uses
	// the transaction's.
	"internal/auth.New":                              "the identity service's system client, for sign-in and credential reads",
	"internal/auth.(*Service).SetUserRole":           "the target account, whoever it is (it may be unverified)",
	"internal/auth.(*Service).DisableUser":           "the target account, whoever it is (it may be unverified)",
	"internal/auth.(*Service).lastAdminGuard":        "counts every active administrator",
	"internal/auth.(*Service).ConfirmTotpEnrollment": "re-reads the account after enabling MFA, with its sealed secret",
	"internal/auth.(*Service).knownClient":           "the account's sessions, read while the caller is still anonymous",
	"internal/auth.(*Service).CreateAPIToken":        "counts the caller's tokens and checks the name is free under the lock",
	"internal/auth.(*Service).VerifyEmail":           "the account an emailed link names, for a caller who may be anonymous",
	"internal/auth.(*Service).useEmailToken":         "emailed link tokens, which only the system may see",
	"internal/auth.(*Mailer).Compose":                "an email job reads the account it writes to",
	"internal/auth.SealTOTPSecrets":                  "a command re-sealing every account's TOTP secret",

	// Decisions and rules that need facts the caller cannot list.
	"internal/access.CourseRole":                    "a course's staff, read to decide whether the caller is on it",
	"internal/authoring.(*Service).AddCourseMember": "the new member's enrolment, which only that learner sees",
	"internal/learning.(*Service).enroll":           "the course's status under its lock: archived meanwhile is NOT_PUBLISHED, not NOT_FOUND",
	"internal/learning.(*Service).Progress":         "progress of an enrolment whose course has since been archived",
}

func TestPrivilegedReadsAreListed(t *testing.T) {
	root := moduleRoot(t)
	found := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "ent" || strings.HasPrefix(rel, ".") && rel != "." || rel == "internal/testenv" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		for _, fn := range privilegedCalls(t, path) {
			key := filepath.Dir(rel) + "." + fn.name
			found[key] = append(found[key], fn.pos)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, at := range found {
		if _, ok := privileged[key]; !ok {
			t.Errorf("%s reads with the system's eyes (%s) but is not listed in privileged with its reason", key, strings.Join(at, ", "))
		}
	}
	for key := range privileged {
		if _, ok := found[key]; !ok {
			t.Errorf("privileged lists %s, which no longer reads with the system's eyes: remove it", key)
		}
	}
	t.Logf("%d functions read with the system's eyes", len(found))
}

type call struct{ name, pos string }

// privilegedCalls returns the functions of the file at path that call a
// method named System without arguments or viewer.SystemContext.
func privilegedCalls(t *testing.T, path string) []call {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var out []call
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			ce, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := ce.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			x, _ := sel.X.(*ast.Ident)
			if (sel.Sel.Name == "System" && len(ce.Args) == 0) || (sel.Sel.Name == "SystemContext" && x != nil && x.Name == "viewer") {
				out = append(out, call{name: funcName(fd), pos: fset.Position(ce.Pos()).String()})
			}
			return true
		})
	}
	return slices.CompactFunc(out, func(a, b call) bool { return a.name == b.name })
}

// funcName spells fd as "F" or "(*T).M".
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	switch r := fd.Recv.List[0].Type.(type) {
	case *ast.StarExpr:
		if id, ok := r.X.(*ast.Ident); ok {
			return "(*" + id.Name + ")." + fd.Name.Name
		}
	case *ast.Ident:
		return r.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// moduleRoot is the directory holding go.mod, two levels above this one.
func moduleRoot(t *testing.T) string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}
