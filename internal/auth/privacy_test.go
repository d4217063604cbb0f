package auth_test

import (
	"testing"

	"lectern/internal/testenv"
)

func TestIdentityPrivateUserFields(t *testing.T) {
	t.Parallel()
	const doc = `{ course(slug: "backend-development-from-first-principles") {
  owner { displayName email role emailVerified }
  instructors { displayName email role emailVerified }
} }`
	type person struct {
		DisplayName   string
		Email         *string
		Role          *string
		EmailVerified *bool
	}
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		owner := testenv.DemoAccount(t, "INSTRUCTOR")
		read := func(t *testing.T, b *caller) (person, []person) {
			t.Helper()
			var out struct {
				Course struct {
					Owner       person
					Instructors []person
				}
			}
			b.Query(t, doc, nil).Decode(t, &out)
			if out.Course.Owner.DisplayName == "" || len(out.Course.Instructors) < 2 {
				t.Fatalf("course = %+v, want its owner and co-instructor", out.Course)
			}
			return out.Course.Owner, out.Course.Instructors
		}
		hidden := func(p person) bool { return p.Email == nil && p.Role == nil && p.EmailVerified == nil }
		signedIn := func(t *testing.T, h *harness, role string) *caller {
			t.Helper()
			b := h.browser()
			b.logInAs(t, testenv.DemoAccount(t, role), "")
			return b
		}

		t.Run("Anonymous", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			o, people := read(t, h.browser())
			for _, p := range append(people, o) {
				if !hidden(p) {
					t.Errorf("anonymous sees %s's private fields: %+v", p.DisplayName, p)
				}
			}
		})
		t.Run("Learner", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			o, people := read(t, signedIn(t, h, "LEARNER"))
			for _, p := range append(people, o) {
				if !hidden(p) {
					t.Errorf("a learner sees %s's private fields: %+v", p.DisplayName, p)
				}
			}
		})
		t.Run("LearnerAPIToken", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			secret, _ := signedIn(t, h, "LEARNER").mustCreateToken(t, "reader", "READ")
			o, _ := read(t, h.script(secret))
			if !hidden(o) {
				t.Errorf("a learner's API token sees the owner's private fields: %+v", o)
			}
		})
		t.Run("OwnerThemselves", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			o, people := read(t, signedIn(t, h, "INSTRUCTOR"))
			if o.Email == nil || *o.Email != owner.Email || o.Role == nil || *o.Role != "INSTRUCTOR" || o.EmailVerified == nil || !*o.EmailVerified {
				t.Errorf("the owner reading themselves = %+v, want their email, role and verification", o)
			}
			for _, p := range people {
				if p.DisplayName != o.DisplayName && !hidden(p) {
					t.Errorf("the owner sees co-instructor %s's private fields: %+v", p.DisplayName, p)
				}
			}
		})
		// A password alone does not open other people's data to an
		// administrator.
		t.Run("AdminWithoutMFA", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			o, people := read(t, signedIn(t, h, "ADMIN"))
			for _, p := range append(people, o) {
				if !hidden(p) {
					t.Errorf("an admin without MFA sees %s's private fields: %+v", p.DisplayName, p)
				}
			}
		})
		t.Run("AdminWithMFA", func(t *testing.T) {
			t.Parallel()
			h := newDemoHarness(t, dialect)
			b := h.signInWithTOTP(t, testenv.DemoAccount(t, "ADMIN"))
			o, people := read(t, b)
			if o.Email == nil || *o.Email != owner.Email || o.Role == nil || *o.Role != "INSTRUCTOR" {
				t.Errorf("an admin with MFA reading the owner = %+v, want the email and role", o)
			}
			for _, p := range people {
				if p.Email == nil || p.Role == nil {
					t.Errorf("an admin with MFA reading %s = %+v, want the email and role", p.DisplayName, p)
				}
			}
		})
	})
}
