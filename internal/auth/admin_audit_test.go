package auth_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"lectern/ent"
	"lectern/internal/gid"
	"lectern/internal/testenv"
)

// The audit trail as administrators read it.

type auditDetail struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type auditNode struct {
	ID         string `json:"id"`
	Action     string `json:"action"`
	TargetType string `json:"targetType"`
	TargetID   string `json:"targetID"`
	RequestID  string `json:"requestID"`
	CreatedAt  string `json:"createdAt"`
	Actor      *struct {
		ID string `json:"id"`
	} `json:"actor"`
	Details []auditDetail `json:"details"`
}

type auditPage struct {
	TotalCount int `json:"totalCount"`
	PageInfo   struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	} `json:"pageInfo"`
	Edges []struct {
		Cursor string    `json:"cursor"`
		Node   auditNode `json:"node"`
	} `json:"edges"`
}

// auditEvents fetches one page; where and after may be nil, first 0 asks
// for the default page size.
func (c *caller) auditEvents(t *testing.T, first int, after *string, where map[string]any) (testenv.Reply, auditPage) {
	t.Helper()
	vars := map[string]any{}
	if first > 0 {
		vars["first"] = first
	}
	if after != nil {
		vars["after"] = *after
	}
	if where != nil {
		vars["where"] = where
	}
	res := c.Query(t, auditEventsDoc, vars)
	var p auditPage
	if len(res.Errors) == 0 {
		res.Field(t, "auditEvents", &p)
	}
	return res, p
}

// walkAudit pages through every event matching where, checking that no
// event comes twice and that each page agrees on the total.
func (c *caller) walkAudit(t *testing.T, pageSize int, where map[string]any) []auditNode {
	t.Helper()
	var all []auditNode
	seen := map[string]bool{}
	var after *string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("auditEvents pagination does not end")
		}
		_, p := c.auditEvents(t, pageSize, after, where)
		if len(p.Edges) > pageSize {
			t.Fatalf("page of %d events, asked for %d", len(p.Edges), pageSize)
		}
		for _, e := range p.Edges {
			if seen[e.Node.ID] {
				t.Fatalf("event %s (%s) came twice", e.Node.ID, e.Node.Action)
			}
			seen[e.Node.ID] = true
			all = append(all, e.Node)
		}
		if !p.PageInfo.HasNextPage {
			if p.TotalCount != len(all) {
				t.Errorf("walked %d events, totalCount %d", len(all), p.TotalCount)
			}
			return all
		}
		if p.PageInfo.EndCursor == nil || len(p.Edges) == 0 {
			t.Fatalf("hasNextPage without a cursor: %+v", p.PageInfo)
		}
		after = p.PageInfo.EndCursor
	}
}

// storedEvents returns the IDs clients see of every stored event that
// keep accepts.
func (h *harness) storedEvents(t *testing.T, keep func(*ent.AuditEvent) bool) []string {
	t.Helper()
	var ids []string
	for _, row := range h.db.Ent.AuditEvent.Query().AllX(sys()) {
		if keep(row) {
			ids = append(ids, auditGID(row.ID))
		}
	}
	slices.Sort(ids)
	return ids
}

func nodeIDs(nodes []auditNode) []string {
	ids := make([]string, 0, len(nodes))
	for _, n := range nodes {
		ids = append(ids, n.ID)
	}
	slices.Sort(ids)
	return ids
}

func createdAt(t *testing.T, n auditNode) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, n.CreatedAt)
	if err != nil {
		t.Fatalf("createdAt %q: %v", n.CreatedAt, err)
	}
	return at
}

// wantNewestFirst checks that events never get newer down the list.
func wantNewestFirst(t *testing.T, nodes []auditNode) {
	t.Helper()
	for i := 1; i < len(nodes); i++ {
		if createdAt(t, nodes[i]).After(createdAt(t, nodes[i-1])) {
			t.Fatalf("event %d (%s at %s) is newer than event %d (%s at %s)",
				i, nodes[i].Action, nodes[i].CreatedAt, i-1, nodes[i-1].Action, nodes[i-1].CreatedAt)
		}
	}
}

func auditEventsCases(t *testing.T, h *harness) {
	const pw = "a passphrase leaving a trail"
	admin := h.signInMFA(t, h.armAdmin(t, "auditor@example.com"))
	learner := h.createUser(t, "trail@example.com", pw)

	// Four events in a known order, the newest in the database.
	b := h.browser()
	success, _ := b.logIn(t, "trail@example.com", pw)
	wrong, _ := h.browser().logIn(t, "trail@example.com", "not the passphrase")
	unknown, _ := h.browser().logIn(t, "nobody-here@example.com", pw)
	logout := b.Query(t, `mutation { logOut { sessionId } }`, nil)
	if len(logout.Errors) != 0 {
		t.Fatalf("logOut: %s", logout.Raw)
	}
	byRequest := func(t *testing.T, nodes []auditNode, res testenv.Reply) *auditNode {
		t.Helper()
		for i := range nodes {
			if nodes[i].RequestID == res.RequestID() {
				return &nodes[i]
			}
		}
		t.Fatalf("no event of request %s among %d", res.RequestID(), len(nodes))
		return nil
	}
	all := admin.walkAudit(t, 100, nil)

	t.Run("NewestFirst", func(t *testing.T) {
		res, page := admin.auditEvents(t, 0, nil, nil)
		if len(res.Errors) != 0 {
			t.Fatalf("auditEvents: %s", res.Raw)
		}
		want := min(20, page.TotalCount)
		if len(page.Edges) != want {
			t.Errorf("default page has %d events, want %d", len(page.Edges), want)
		}
		var nodes []auditNode
		for _, e := range page.Edges {
			nodes = append(nodes, e.Node)
		}
		wantNewestFirst(t, nodes)
		if len(nodes) < 4 {
			t.Fatalf("%d events on the first page, want at least the 4 just made", len(nodes))
		}
		var got []string
		for _, n := range nodes[:4] {
			got = append(got, n.RequestID+" "+n.Action)
		}
		wantOrder := []string{logout.RequestID() + " logout", unknown.RequestID() + " login.failure",
			wrong.RequestID() + " login.failure", success.RequestID() + " login.success"}
		if !slices.Equal(got, wantOrder) {
			t.Errorf("newest events %q, want %q", got, wantOrder)
		}
	})

	t.Run("WalksEveryPage", func(t *testing.T) {
		walked := admin.walkAudit(t, 3, nil)
		wantNewestFirst(t, walked)
		stored := h.storedEvents(t, func(*ent.AuditEvent) bool { return true })
		if got := nodeIDs(walked); !slices.Equal(got, stored) {
			t.Errorf("pages of 3 gave %d events, %d stored", len(got), len(stored))
		}
		if !slices.Equal(nodeIDs(walked), nodeIDs(all)) {
			t.Error("pages of 3 and of 100 list different events")
		}
	})

	t.Run("Filters", func(t *testing.T) {
		after := byRequest(t, all, success)
		before := byRequest(t, all, unknown)
		from, until := createdAt(t, *after), createdAt(t, *before)
		inWindow := func(e *ent.AuditEvent) bool { return !e.CreatedAt.Before(from) && e.CreatedAt.Before(until) }
		for name, c := range map[string]struct {
			where map[string]any
			keep  func(*ent.AuditEvent) bool
			has   []testenv.Reply
			lacks []testenv.Reply
		}{
			"Action": {
				map[string]any{"action": "login.failure"},
				func(e *ent.AuditEvent) bool { return e.Action == "login.failure" },
				[]testenv.Reply{wrong, unknown}, []testenv.Reply{success, logout},
			},
			"Actor": {
				map[string]any{"actorId": userGID(learner.ID)},
				func(e *ent.AuditEvent) bool { return e.ActorID != nil && *e.ActorID == learner.ID },
				[]testenv.Reply{success, logout}, []testenv.Reply{wrong, unknown},
			},
			"Target": {
				map[string]any{"targetId": learner.ID.String()},
				func(e *ent.AuditEvent) bool { return e.TargetID == learner.ID.String() },
				[]testenv.Reply{wrong}, []testenv.Reply{success, unknown, logout},
			},
			"CreatedWindow": {
				map[string]any{"createdAfter": after.CreatedAt, "createdBefore": before.CreatedAt},
				inWindow,
				[]testenv.Reply{success, wrong}, []testenv.Reply{unknown, logout},
			},
			"AllTogether": {
				map[string]any{"action": "login.failure", "targetId": learner.ID.String(), "createdAfter": after.CreatedAt},
				func(e *ent.AuditEvent) bool {
					return e.Action == "login.failure" && e.TargetID == learner.ID.String() && !e.CreatedAt.Before(from)
				},
				[]testenv.Reply{wrong}, []testenv.Reply{success, unknown, logout},
			},
		} {
			t.Run(name, func(t *testing.T) {
				got := admin.walkAudit(t, 100, c.where)
				wantNewestFirst(t, got)
				if ids, want := nodeIDs(got), h.storedEvents(t, c.keep); !slices.Equal(ids, want) {
					t.Errorf("%d events match, want the %d stored ones that do", len(ids), len(want))
				}
				requests := map[string]bool{}
				for _, n := range got {
					requests[n.RequestID] = true
				}
				for _, res := range c.has {
					if !requests[res.RequestID()] {
						t.Errorf("missing the event of request %s", res.RequestID())
					}
				}
				for _, res := range c.lacks {
					if requests[res.RequestID()] {
						t.Errorf("includes the event of request %s", res.RequestID())
					}
				}
			})
		}
	})

	t.Run("BadFilters", func(t *testing.T) {
		for name, where := range map[string]map[string]any{
			"ActorNotAUser":    {"actorId": gid.New("Course", learner.ID).String()},
			"ActorMalformed":   {"actorId": "not a global ID"},
			"ActionNotDotted":  {"action": "Login Failure"},
			"ActionPunctuated": {"action": "login.failure; --"},
		} {
			t.Run(name, func(t *testing.T) {
				res, _ := admin.auditEvents(t, 0, nil, where)
				wantRefused(t, "auditEvents", res, "auditEvents", "BAD_USER_INPUT")
			})
		}
	})

	t.Run("Details", func(t *testing.T) {
		for _, c := range []struct {
			res  testenv.Reply
			want []auditDetail
		}{
			{success, []auditDetail{{"method", "password"}, {"transport", "COOKIE"}}},
			{wrong, []auditDetail{{"reason", "wrong_password"}}},
			{unknown, []auditDetail{{"reason", "unknown_account"}}},
			{logout, []auditDetail{}},
		} {
			n := byRequest(t, all, c.res)
			if !slices.Equal(n.Details, c.want) {
				t.Errorf("%s details %+v, want %+v", n.Action, n.Details, c.want)
			}
		}
		// Every event's details are its stored ones, sorted by key.
		stored := map[string]map[string]string{}
		for _, row := range h.db.Ent.AuditEvent.Query().AllX(sys()) {
			stored[auditGID(row.ID)] = row.Details
		}
		for _, n := range all {
			var keys []string
			for _, d := range n.Details {
				keys = append(keys, d.Key)
				if v, ok := stored[n.ID][d.Key]; !ok || v != d.Value {
					t.Errorf("%s: detail %s=%q, stored %q", n.Action, d.Key, d.Value, v)
				}
			}
			if !slices.IsSorted(keys) || len(keys) != len(stored[n.ID]) {
				t.Errorf("%s: details %+v, stored %v", n.Action, n.Details, stored[n.ID])
			}
		}
	})

	t.Run("NodeHiddenFromOthers", func(t *testing.T) {
		id := byRequest(t, all, wrong).ID
		var seen *struct {
			ID     string `json:"id"`
			Action string `json:"action"`
		}
		admin.Query(t, auditNodeDoc, map[string]any{"id": id}).Field(t, "node", &seen)
		if seen == nil || seen.ID != id || seen.Action != "login.failure" {
			t.Fatalf("admin node(%s) = %+v, want the event", id, seen)
		}
		l := h.browser()
		l.mustLogIn(t, "trail@example.com", pw)
		for name, c := range map[string]*caller{"Learner": l, "Anonymous": h.browser()} {
			var node json.RawMessage
			c.Query(t, auditNodeDoc, map[string]any{"id": id}).Field(t, "node", &node)
			if string(node) != "null" {
				t.Errorf("%s reads node(%s) = %s, want null", name, id, node)
			}
		}
	})
}
