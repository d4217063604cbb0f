package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"lectern/ent"
	"lectern/internal/audit"
	"lectern/internal/database"
	"lectern/internal/obs"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

type bundle struct {
	db   *database.DB
	log  *audit.Log
	logs *bytes.Buffer
}

func setup(t *testing.T, db *database.DB) *bundle {
	t.Helper()
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &bundle{db: db, log: audit.New(logger), logs: logs}
}

// requestContext is the context of a request from addr with request ID id.
func requestContext(addr, id string) context.Context {
	ctx := viewer.WithClient(context.Background(), viewer.Client{Addr: addr, UserAgent: "test"})
	return obs.ContextWithRequestID(ctx, id)
}

// events returns every stored audit row, oldest first.
func (b *bundle) events(t *testing.T) []*ent.AuditEvent {
	t.Helper()
	all, err := b.db.Ent.AuditEvent.Query().Order(ent.Asc("created_at")).All(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatalf("read audit events: %v", err)
	}
	return all
}

func (b *bundle) user(t *testing.T, email string) uuid.UUID {
	t.Helper()
	u, err := b.db.Ent.User.Create().SetEmail(email).SetDisplayName("Ann").Save(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u.ID
}

// lines decodes the JSON log lines written so far.
func (b *bundle) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, raw := range strings.Split(strings.TrimSpace(b.logs.String()), "\n") {
		if raw == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRecord(t *testing.T) {
	each(t, "StoresTheEventWithTheRequestsClientAndID", func(t *testing.T, db *database.DB) {
		b := setup(t, db)
		ann := b.user(t, "ann@example.com")
		before := time.Now().Truncate(time.Microsecond)
		err := b.log.Record(requestContext("203.0.113.9", "req-store"), db.Ent, audit.Event{
			Action: audit.PasswordChange, ActorID: ann, TargetType: "User", TargetID: ann.String(),
		})
		if err != nil {
			t.Fatal(err)
		}
		after := time.Now()
		rows := b.events(t)
		if len(rows) != 1 {
			t.Fatalf("%d rows; want 1", len(rows))
		}
		got := rows[0]
		if got.Action != "password.change" || got.ActorID == nil || *got.ActorID != ann ||
			got.TargetType != "User" || got.TargetID != ann.String() ||
			got.ClientAddr != "203.0.113.9" || got.RequestID != "req-store" || len(got.Details) != 0 {
			t.Fatalf("stored %+v", got)
		}
		if got.CreatedAt.Before(before) || got.CreatedAt.After(after) {
			t.Fatalf("created_at %s outside [%s, %s]", got.CreatedAt, before, after)
		}
	})

	each(t, "StoresAnonymousEventsWithoutActorOrRequest", func(t *testing.T, db *database.DB) {
		b := setup(t, db)
		if err := b.log.Record(context.Background(), db.Ent, audit.Event{Action: audit.LoginFailure}); err != nil {
			t.Fatal(err)
		}
		got := b.events(t)[0]
		if got.ActorID != nil || got.TargetType != "" || got.TargetID != "" || got.ClientAddr != "" || got.RequestID != "" {
			t.Fatalf("stored %+v; want only the action", got)
		}
	})

	each(t, "RoundTripsDetails", func(t *testing.T, db *database.DB) {
		b := setup(t, db)
		details := map[string]string{
			"reason": "bad_password", "transport": "email", "scopes": "courses:read courses:write",
			"rule": "login", "name": "CI token — «deploy» 🚀", "method": "totp", "count": "10", "role": "ADMIN",
		}
		details["name"] += strings.Repeat("é", 200-len([]rune(details["name"])))
		if err := b.log.Record(context.Background(), db.Ent, audit.Event{Action: audit.TokenCreate, Details: details}); err != nil {
			t.Fatal(err)
		}
		if got := b.events(t)[0].Details; !maps.Equal(got, details) {
			t.Fatalf("details read back as %q; want %q", got, details)
		}
	})

	each(t, "RefusesBadInputAndWritesNothing", func(t *testing.T, db *database.DB) {
		b := setup(t, db)
		for name, e := range map[string]audit.Event{
			"UnknownDetailKey": {Action: audit.LoginFailure, Details: map[string]string{"reason": "x", "password": "hunter2"}},
			"LongDetailValue":  {Action: audit.LoginFailure, Details: map[string]string{"reason": strings.Repeat("x", 201)}},
			"MalformedAction":  {Action: "Login Failure"},
		} {
			if err := b.log.Record(requestContext("203.0.113.9", "req-bad"), db.Ent, e); err == nil {
				t.Errorf("%s: recorded; want an error", name)
			}
		}
		if n := len(b.events(t)); n != 0 {
			t.Fatalf("%d rows written; want none", n)
		}
		if b.logs.Len() != 0 {
			t.Fatalf("logged %q; want nothing", b.logs.String())
		}
	})

	each(t, "FollowsTheTransaction", func(t *testing.T, db *database.DB) {
		b := setup(t, db)
		ctx := context.Background()
		errBoom := errors.New("boom")
		err := database.InTx(ctx, db.Ent, func(tx *ent.Tx) error {
			if err := b.log.Record(ctx, tx.Client(), audit.Event{Action: audit.EmailChange, TargetID: "rolled-back"}); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("InTx: %v; want the function's error", err)
		}
		if n := len(b.events(t)); n != 0 {
			t.Fatalf("%d rows after rollback; want none", n)
		}
		err = database.InTx(ctx, db.Ent, func(tx *ent.Tx) error {
			return b.log.Record(ctx, tx.Client(), audit.Event{Action: audit.EmailChange, TargetID: "committed"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if rows := b.events(t); len(rows) != 1 || rows[0].TargetID != "committed" {
			t.Fatalf("rows after commit: %+v; want the committed event", rows)
		}
	})
}

func TestRecordLogLine(t *testing.T) {
	each(t, "CarriesTheStoredFields", func(t *testing.T, db *database.DB) {
		b := setup(t, db)
		ann := b.user(t, "ann@example.com")
		err := b.log.Record(requestContext("2001:db8::7", "req-line"), db.Ent, audit.Event{
			Action: audit.MFAFailure, ActorID: ann, TargetType: "User", TargetID: ann.String(),
			Details: map[string]string{"method": "totp", "count": "3"},
		})
		if err != nil {
			t.Fatal(err)
		}
		lines := b.lines(t)
		if len(lines) != 1 {
			t.Fatalf("%d log lines; want 1", len(lines))
		}
		want := map[string]any{
			"level": "INFO", "msg": "audit", "action": "mfa.failure", "actor_id": ann.String(),
			"target_type": "User", "target_id": ann.String(), "client_addr": "2001:db8::7", "request_id": "req-line",
			"details": map[string]any{"method": "totp", "count": "3"},
		}
		for k, v := range want {
			if got, _ := json.Marshal(lines[0][k]); string(got) != mustJSON(t, v) {
				t.Errorf("%s = %s; want %s", k, got, mustJSON(t, v))
			}
		}
		if n := strings.Count(b.logs.String(), `"request_id"`); n != 1 {
			t.Errorf("request_id appears %d times in %s", n, b.logs.String())
		}
	})

	each(t, "UsesTheRequestLogger", func(t *testing.T, db *database.DB) {
		b := setup(t, db)
		var reqLogs bytes.Buffer
		ctx := requestContext("203.0.113.9", "req-access")
		// What obs.AccessLog puts in the context of every request.
		reqLogger := slog.New(slog.NewJSONHandler(&reqLogs, nil)).With(obs.KeyRequestID, "req-access")
		ctx = obs.ContextWithLogger(ctx, reqLogger)
		if err := b.log.Record(ctx, db.Ent, audit.Event{Action: audit.Logout}); err != nil {
			t.Fatal(err)
		}
		if b.logs.Len() != 0 {
			t.Fatalf("fallback logger used: %s", b.logs.String())
		}
		line := reqLogs.String()
		if strings.Count(line, `"request_id":"req-access"`) != 1 || !strings.Contains(line, `"action":"logout"`) ||
			!strings.Contains(line, `"actor_id":""`) {
			t.Fatalf("request log %s; want one audit line for logout with the request ID once", line)
		}
	})
}

// each runs fn as subtest name with a fresh database of every dialect.
func each(t *testing.T, name string, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	t.Run(name, func(t *testing.T) { testenv.Each(t, fn) })
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
