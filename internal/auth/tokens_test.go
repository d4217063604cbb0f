package auth_test

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent/apitoken"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

const apiTokensDoc = `{ viewer { apiTokens { id name scopes createdAt expiresAt lastUsedAt } } }`

func (b *caller) apiTokens(t *testing.T) ([]apiTokenNode, testenv.Reply) {
	t.Helper()
	var out struct {
		Viewer struct {
			APITokens []apiTokenNode `json:"apiTokens"`
		}
	}
	r := b.Query(t, apiTokensDoc, nil)
	r.Decode(t, &out)
	return out.Viewer.APITokens, r
}

func TestIdentityAPITokens(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		h := newDemoHarness(t, dialect)
		clock := h.clock
		learner, admin := testenv.DemoAccount(t, "LEARNER"), testenv.DemoAccount(t, "ADMIN")
		b := h.browser()
		b.logInAs(t, learner, "")
		created := clock.Now()

		out, r := b.createTokenWith(t, map[string]any{"name": "ci", "scopes": []string{"READ"}, "expiresInDays": 30})
		p := out.CreateAPIToken
		if p.Token == nil || !apiTokenSecret.MatchString(*p.Token) || p.APIToken == nil || len(p.UserErrors) != 0 {
			t.Fatalf("createApiToken = %s, want a lct_pat_ secret and the token", r.Data)
		}
		secret, node := *p.Token, *p.APIToken
		if node.Name != "ci" || !slices.Equal(node.Scopes, []string{"READ"}) || !node.CreatedAt.Equal(created) ||
			!node.ExpiresAt.Equal(created.Add(30*24*time.Hour)) || node.LastUsedAt != nil {
			t.Errorf("created token = %+v, want ci, [READ], expiring 30 days after %v, never used", node, created)
		}

		t.Run("SecretShownOnce", func(t *testing.T) {
			list, r := b.apiTokens(t)
			if len(list) != 1 || list[0].ID != node.ID || list[0].Name != "ci" || !slices.Equal(list[0].Scopes, []string{"READ"}) ||
				!list[0].ExpiresAt.Equal(node.ExpiresAt) || list[0].LastUsedAt != nil {
				t.Fatalf("apiTokens = %s, want the one token without its secret", r.Data)
			}
			if strings.Contains(string(r.Data), secret) || strings.Contains(string(r.Data), "lct_pat_") {
				t.Errorf("the token list shows the secret: %s", r.Data)
			}
			row, err := h.db.Ent.APIToken.Query().Where(apitoken.Name("ci")).Only(sys())
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(secret))
			if !bytes.Equal(row.TokenHash, sum[:]) {
				t.Error("the stored token hash is not the secret's SHA-256")
			}
			requireNotStored(t, h.db, secret)
			if strings.Contains(h.app.Logs.String(), secret) {
				t.Error("the logs hold the API token's secret")
			}
		})

		t.Run("UseIsRecorded", func(t *testing.T) {
			clock.Advance(2 * time.Minute)
			used := clock.Now()
			if got := h.script(secret).viewerEmail(t); got != learner.Email {
				t.Fatalf("viewer with the API token = %q, want %s", got, learner.Email)
			}
			list, r := b.apiTokens(t)
			if len(list) != 1 || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(used) {
				t.Fatalf("apiTokens after a use at %v = %s", used, r.Data)
			}
		})

		t.Run("InvalidInput", func(t *testing.T) {
			tests := []struct {
				name  string
				input map[string]any
				want  userError
			}{
				{"ZeroDays", map[string]any{"name": "zero", "scopes": []string{"READ"}, "expiresInDays": 0}, userError{Code: "INVALID", Field: []string{"input", "expiresInDays"}}},
				{"NegativeDays", map[string]any{"name": "negative", "scopes": []string{"READ"}, "expiresInDays": -1}, userError{Code: "INVALID", Field: []string{"input", "expiresInDays"}}},
				{"OverAYear", map[string]any{"name": "long", "scopes": []string{"READ"}, "expiresInDays": 366}, userError{Code: "INVALID", Field: []string{"input", "expiresInDays"}}},
				{"DuplicateName", map[string]any{"name": "ci", "scopes": []string{"READ", "WRITE"}}, userError{Code: "NAME_TAKEN", Field: []string{"input", "name"}}},
				{"DuplicateNameWithSpaces", map[string]any{"name": "  ci ", "scopes": []string{"READ"}}, userError{Code: "NAME_TAKEN", Field: []string{"input", "name"}}},
				{"NoScopes", map[string]any{"name": "none", "scopes": []string{}}, userError{Code: "REQUIRED", Field: []string{"input", "scopes"}}},
				{"BlankName", map[string]any{"name": "   ", "scopes": []string{"READ"}}, userError{Code: "REQUIRED", Field: []string{"input", "name"}}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					out, r := b.createTokenWith(t, tt.input)
					p := out.CreateAPIToken
					if p.Token != nil || p.APIToken != nil || len(p.UserErrors) != 1 ||
						p.UserErrors[0].Code != tt.want.Code || !slices.Equal(p.UserErrors[0].Field, tt.want.Field) || p.UserErrors[0].Message == "" {
						t.Fatalf("createApiToken(%v) = %s, want only %s on %v", tt.input, r.Data, tt.want.Code, tt.want.Field)
					}
					if n := testenv.RowCount(t, h.db.Ent.APIToken.Query()); n != 1 {
						t.Errorf("API tokens after a refused createApiToken: %d, want 1", n)
					}
				})
			}
		})

		t.Run("LifetimeBounds", func(t *testing.T) {
			for name, days := range map[string]any{"one day": 1, "a year": 365, "default": nil} {
				input := map[string]any{"name": name, "scopes": []string{"READ"}}
				want := 90
				if days != nil {
					input["expiresInDays"], want = days, days.(int)
				}
				out, r := b.createTokenWith(t, input)
				p := out.CreateAPIToken
				if p.APIToken == nil || !p.APIToken.ExpiresAt.Equal(p.APIToken.CreatedAt.Add(time.Duration(want)*24*time.Hour)) {
					t.Errorf("createApiToken(%s) = %s, want it to expire after %d days", name, r.Data, want)
				}
			}
		})

		t.Run("RevokeOthersTokenIsNotFound", func(t *testing.T) {
			other := h.browser()
			other.logInAs(t, admin, "")
			adminSecret, adminID := other.mustCreateToken(t, "admin tool", "READ", "WRITE")
			r := b.Query(t, `mutation($id: ID!) { revokeApiToken(id: $id) { apiTokenId userErrors { code field } } }`, map[string]any{"id": adminID})
			want := `{"revokeApiToken":{"apiTokenId":null,"userErrors":[{"code":"NOT_FOUND","field":["id"]}]}}`
			if len(r.Errors) != 0 || string(r.Data) != want {
				t.Fatalf("revokeApiToken(another account's token) = %s, want %s", r.Data, want)
			}
			if got := h.script(adminSecret).viewerEmail(t); got != admin.Email {
				t.Error("another account's token stopped working")
			}
			r = b.Query(t, `mutation($id: ID!) { revokeApiToken(id: $id) { apiTokenId userErrors { code field } } }`,
				map[string]any{"id": gid.New("APIToken", uuid.New()).String()})
			if len(r.Errors) != 0 || string(r.Data) != want {
				t.Fatalf("revokeApiToken(a missing token) = %s, want %s", r.Data, want)
			}
		})

		t.Run("Revoke", func(t *testing.T) {
			r := b.Query(t, `mutation($id: ID!) { revokeApiToken(id: $id) { apiTokenId userErrors { code field } } }`, map[string]any{"id": node.ID})
			want := `{"revokeApiToken":{"apiTokenId":"` + node.ID + `","userErrors":[]}}`
			if len(r.Errors) != 0 || string(r.Data) != want {
				t.Fatalf("revokeApiToken = %s, want %s", r.Data, want)
			}
			r = h.script(secret).Query(t, `{ viewer { user { email } } }`, nil)
			requireRefused(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
			if got := r.Header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			list, _ := b.apiTokens(t)
			for _, tok := range list {
				if tok.ID == node.ID {
					t.Error("the revoked token is still listed")
				}
			}
		})

		t.Run("Expiry", func(t *testing.T) {
			out, r := b.createTokenWith(t, map[string]any{"name": "short lived", "scopes": []string{"READ"}, "expiresInDays": 1})
			if out.CreateAPIToken.Token == nil {
				t.Fatalf("createApiToken for one day = %s", r.Data)
			}
			short := *out.CreateAPIToken.Token
			clock.Advance(24*time.Hour - time.Minute)
			if got := h.script(short).viewerEmail(t); got != learner.Email {
				t.Fatal("a one-day token was refused before its day was over")
			}
			clock.Advance(time.Minute)
			r = h.script(short).Query(t, `{ viewer { user { email } } }`, nil)
			requireRefused(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Error("the refusal of an expired token has no WWW-Authenticate")
			}
			again := h.browser()
			again.logInAs(t, learner, "")
			list, r := again.apiTokens(t)
			if !slices.ContainsFunc(list, func(n apiTokenNode) bool { return n.Name == "short lived" }) {
				t.Errorf("apiTokens = %s, want the expired token still listed", r.Data)
			}
			if len(list) > 1 && list[0].CreatedAt.Before(list[len(list)-1].CreatedAt) {
				t.Errorf("apiTokens = %s, want newest first", r.Data)
			}
		})
	})
}
