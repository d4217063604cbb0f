package export_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"lectern/ent/apitoken"
	"lectern/ent/auditevent"
	"lectern/ent/coursemember"
	"lectern/ent/enrollment"
	"lectern/ent/lessonprogress"
	"lectern/ent/recoverycode"
	"lectern/ent/review"
	"lectern/ent/session"
	"lectern/internal/testenv"
)

// TestMyDataExport exports everything Lectern holds about the demo
// learner (who is also a course assistant, has enrolments, progress and
// reviews, sessions, an API token, TOTP on and recovery codes) and checks
// that every record is there and no secret or hash of one is.
func TestMyDataExport(t *testing.T) {
	t.Parallel()
	testenv.EachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		learner := e.signInDemo(t, "LEARNER")
		token := e.apiToken(t, learner, "READ", "WRITE")
		id := learner.ID
		totpSecret := testenv.EnableTOTP(t, e.db, id, testenv.Now)
		pending := testenv.SealTOTP(t, id, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
		if err := e.db.Ent.User.UpdateOneID(id).SetTotpPendingSecret(pending).Exec(sys()); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			h := make([]byte, 32)
			_, _ = rand.Read(h)
			if err := e.db.Ent.RecoveryCode.Create().SetUserID(id).SetCodeHash(h).Exec(sys()); err != nil {
				t.Fatal(err)
			}
		}

		// An API token never gets the file: it lists sessions and tokens.
		r := token.Query(t, requestDoc, requestVars("MY_DATA_JSON", ""))
		wantErrorCode(t, "requestExport MY_DATA_JSON with an API token", r, "FORBIDDEN")
		x := e.request(t, learner, "MY_DATA_JSON", "")
		e.runJobs(t)
		done := e.export(t, learner, x.ID)
		if viaToken := e.export(t, token, x.ID); viaToken == nil || viaToken.Status != "SUCCEEDED" || viaToken.URL != nil {
			t.Errorf("the export read with an API token = %+v, want it SUCCEEDED without a url", viaToken)
		}
		_, body := e.download(t, done)
		file := decodeJSON(t, body)

		var profile struct{ ID, Email, DisplayName string }
		if err := json.Unmarshal(file["profile"], &profile); err != nil || profile.Email != learner.Email || profile.ID != id.String() {
			t.Errorf("profile = %s (%v), want the learner's", file["profile"], err)
		}
		counts := map[string]int{
			"course_roles":    testenv.RowCount(t, e.db.Ent.CourseMember.Query().Where(coursemember.UserID(id))),
			"enrollments":     testenv.RowCount(t, e.db.Ent.Enrollment.Query().Where(enrollment.UserID(id))),
			"lesson_progress": testenv.RowCount(t, e.db.Ent.LessonProgress.Query().Where(lessonprogress.HasEnrollmentWith(enrollment.UserID(id)))),
			"reviews":         testenv.RowCount(t, e.db.Ent.Review.Query().Where(review.UserID(id))),
			"sessions":        testenv.RowCount(t, e.db.Ent.Session.Query().Where(session.UserID(id))),
			"api_tokens":      1,
			"uploads":         0,
			"exports":         1,
			"audit_events": testenv.RowCount(t, e.db.Ent.AuditEvent.Query().Where(auditevent.Or(auditevent.ActorID(id),
				auditevent.And(auditevent.TargetType("User"), auditevent.TargetID(id.String()))))),
		}
		rows := 1
		for name, want := range counts {
			var items []map[string]any
			if err := json.Unmarshal(file[name], &items); err != nil || len(items) != want {
				t.Errorf("%s = %d items (%v), want %d", name, len(items), err, want)
			}
			if want == 0 && string(file[name]) != "[]" {
				t.Errorf("%s = %s, want []", name, file[name])
			}
			rows += want
		}
		for _, name := range []string{"course_roles", "enrollments", "lesson_progress", "reviews", "audit_events"} {
			if counts[name] == 0 {
				t.Errorf("the demo learner has no %s: the test proves nothing about them", name)
			}
		}
		if done.RowCount == nil || *done.RowCount != rows {
			t.Errorf("rowCount = %v, want %d (the profile and every record)", done.RowCount, rows)
		}

		// No secret, in any spelling.
		u := e.db.Ent.User.GetX(sys(), id)
		secrets := map[string][]byte{"password hash": []byte(*u.PasswordHash), "sealed TOTP secret": []byte(*u.TotpSecret),
			"TOTP secret": []byte(totpSecret), "pending TOTP secret": []byte(pending), "API token": []byte(token.Bearer)}
		for i, s := range e.db.Ent.Session.Query().Where(session.UserID(id)).AllX(sys()) {
			secrets[fmt.Sprintf("session token hash %d", i)] = s.TokenHash
		}
		for i, tok := range e.db.Ent.APIToken.Query().Where(apitoken.UserID(id)).AllX(sys()) {
			secrets[fmt.Sprintf("API token hash %d", i)] = tok.TokenHash
		}
		for i, rc := range e.db.Ent.RecoveryCode.Query().Where(recoverycode.UserID(id)).AllX(sys()) {
			secrets[fmt.Sprintf("recovery code hash %d", i)] = rc.CodeHash
		}
		for what, secret := range secrets {
			for _, spelling := range spellings(secret) {
				if bytes.Contains(body, []byte(spelling)) {
					t.Errorf("the file holds the %s (as %q)", what, spelling)
				}
			}
		}
		for _, key := range jsonKeys(t, body) {
			if k := strings.ToLower(key); strings.Contains(k, "hash") || strings.Contains(k, "secret") || strings.Contains(k, "totp") ||
				strings.Contains(k, "password") || strings.Contains(k, "token_") {
				t.Errorf("the file has a field %q", key)
			}
		}

		msgs := e.mail.exportMessages(t)
		if len(msgs) != 1 || !strings.Contains(msgs[0].text(t), "your Lectern data") {
			t.Errorf("export emails = %d, want one about your data", len(msgs))
		}
	})
}

// spellings are the ways a secret could show in a JSON file: as it is,
// and for raw bytes in hex and base64.
func spellings(secret []byte) []string {
	out := []string{string(secret)}
	if !isText(secret) {
		out = []string{hex.EncodeToString(secret), base64.StdEncoding.EncodeToString(secret),
			base64.RawStdEncoding.EncodeToString(secret), base64.RawURLEncoding.EncodeToString(secret)}
	}
	return out
}

func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// jsonKeys returns every object key of the JSON document body.
func jsonKeys(t *testing.T, body []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				keys = append(keys, k)
				walk(child)
			}
		case []any:
			for _, child := range x {
				walk(child)
			}
		}
	}
	walk(v)
	return keys
}
