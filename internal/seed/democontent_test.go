package seed

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

const demoFlagshipSlug = "backend-development-from-first-principles"

var (
	demoSlugPattern     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	demoLanguagePattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z]{2})?$`)
	demoEmailPattern    = regexp.MustCompile(`^[a-z0-9._-]+@example\.com$`)
	demoListItemPattern = regexp.MustCompile(`(?m)^(- |\d+\. )`)
	demoHeadingPattern  = regexp.MustCompile(`(?m)^## \S`)
)

// demoWordCount counts whitespace-separated tokens that contain a letter or
// digit, so markdown markers such as "##" and "-" are not counted as words.
func demoWordCount(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			n++
		}
	}
	return n
}

func demoRuneLen(s string) int { return utf8.RuneCountInString(s) }

func demoCourseBySlug(slug string) (demoCourse, bool) {
	for _, c := range demoCourses {
		if c.Slug == slug {
			return c, true
		}
	}
	return demoCourse{}, false
}

func demoPublishedLessonCount(c demoCourse) int {
	n := 0
	for _, s := range c.Sections {
		for _, l := range s.Lessons {
			if !l.Draft {
				n++
			}
		}
	}
	return n
}

func demoStaff(c demoCourse) map[string]bool {
	staff := map[string]bool{c.Owner: true}
	for _, e := range c.Instructors {
		staff[e] = true
	}
	for _, e := range c.Assistants {
		staff[e] = true
	}
	return staff
}

func TestDemoTags(t *testing.T) {
	if n := len(demoTags); n < 8 || n > 12 {
		t.Errorf("want 8..12 tags, got %d", n)
	}
	seen := map[string]bool{}
	for _, tag := range demoTags {
		if !demoSlugPattern.MatchString(tag.Slug) {
			t.Errorf("tag slug %q is not kebab-case", tag.Slug)
		}
		if seen[tag.Slug] {
			t.Errorf("duplicate tag slug %q", tag.Slug)
		}
		seen[tag.Slug] = true
		if strings.TrimSpace(tag.Name) == "" {
			t.Errorf("tag %q has no name", tag.Slug)
		}
	}
}

func TestDemoUsers(t *testing.T) {
	seen := map[string]bool{}
	roles := map[string]int{}
	for _, u := range demoUsers {
		if !demoEmailPattern.MatchString(u.Email) || u.Email != strings.ToLower(u.Email) {
			t.Errorf("email %q must be a lowercase @example.com address", u.Email)
		}
		if seen[u.Email] {
			t.Errorf("duplicate user %q", u.Email)
		}
		seen[u.Email] = true
		if strings.TrimSpace(u.DisplayName) == "" {
			t.Errorf("user %q has no display name", u.Email)
		}
		switch u.Role {
		case "ADMIN", "INSTRUCTOR", "LEARNER":
			roles[u.Role]++
		default:
			t.Errorf("user %q has invalid role %q", u.Email, u.Role)
		}
		if demoRuneLen(u.Bio) > 300 {
			t.Errorf("user %q bio is %d chars, max 300", u.Email, demoRuneLen(u.Bio))
		}
	}
	if roles["ADMIN"] != 1 || !seen["admin@example.com"] {
		t.Errorf("want exactly one admin, admin@example.com; got %d admins", roles["ADMIN"])
	}
	for _, u := range demoUsers {
		if u.Role == "ADMIN" && u.Email != "admin@example.com" {
			t.Errorf("admin must be admin@example.com, got %q", u.Email)
		}
	}
	if roles["INSTRUCTOR"] != 3 {
		t.Errorf("want 3 instructors, got %d", roles["INSTRUCTOR"])
	}
	if n := roles["LEARNER"]; n < 6 || n > 8 {
		t.Errorf("want 6..8 learners, got %d", n)
	}
}

func TestDemoCourses(t *testing.T) {
	users := map[string]demoUser{}
	for _, u := range demoUsers {
		users[u.Email] = u
	}
	tags := map[string]bool{}
	for _, tag := range demoTags {
		tags[tag.Slug] = true
	}
	seen := map[string]bool{}
	statuses := map[string]int{}
	publishedWithDraftLesson := false

	for _, c := range demoCourses {
		if !demoSlugPattern.MatchString(c.Slug) || len(c.Slug) > 80 {
			t.Errorf("course slug %q must be kebab-case and <= 80 chars", c.Slug)
		}
		if seen[c.Slug] {
			t.Errorf("duplicate course slug %q", c.Slug)
		}
		seen[c.Slug] = true
		if n := demoRuneLen(c.Title); n < 1 || n > 200 {
			t.Errorf("%s: title length %d out of 1..200", c.Slug, n)
		}
		if n := demoRuneLen(c.Summary); n == 0 || n > 500 {
			t.Errorf("%s: summary length %d out of 1..500", c.Slug, n)
		}
		if strings.TrimSpace(c.Description) == "" {
			t.Errorf("%s: empty description", c.Slug)
		}
		switch c.Level {
		case "BEGINNER", "INTERMEDIATE", "ADVANCED":
		default:
			t.Errorf("%s: invalid level %q", c.Slug, c.Level)
		}
		if !demoLanguagePattern.MatchString(c.Language) {
			t.Errorf("%s: invalid language tag %q", c.Slug, c.Language)
		}
		switch c.Status {
		case "PUBLISHED", "ARCHIVED":
			if c.PublishedDaysAgo <= 0 {
				t.Errorf("%s: %s course needs PublishedDaysAgo > 0", c.Slug, c.Status)
			}
		case "DRAFT":
			if c.PublishedDaysAgo != 0 {
				t.Errorf("%s: draft course must have PublishedDaysAgo 0", c.Slug)
			}
		default:
			t.Errorf("%s: invalid status %q", c.Slug, c.Status)
		}
		statuses[c.Status]++

		// Staff.
		if u, ok := users[c.Owner]; !ok || u.Role != "INSTRUCTOR" {
			t.Errorf("%s: owner %q is not an instructor", c.Slug, c.Owner)
		}
		staffSeen := map[string]bool{c.Owner: true}
		for _, e := range c.Instructors {
			if u, ok := users[e]; !ok || u.Role != "INSTRUCTOR" {
				t.Errorf("%s: co-instructor %q is not an instructor", c.Slug, e)
			}
			if staffSeen[e] {
				t.Errorf("%s: %q listed twice among staff", c.Slug, e)
			}
			staffSeen[e] = true
		}
		for _, e := range c.Assistants {
			if _, ok := users[e]; !ok {
				t.Errorf("%s: assistant %q is not a user", c.Slug, e)
			}
			if staffSeen[e] {
				t.Errorf("%s: %q listed twice among staff", c.Slug, e)
			}
			staffSeen[e] = true
		}

		// Lists.
		for name, list := range map[string][]string{"requirements": c.Requirements, "takeaways": c.Takeaways} {
			if len(list) > 10 {
				t.Errorf("%s: %d %s, max 10", c.Slug, len(list), name)
			}
			for _, item := range list {
				if n := demoRuneLen(item); n == 0 || n > 200 {
					t.Errorf("%s: %s item length %d out of 1..200: %q", c.Slug, name, n, item)
				}
			}
		}
		if len(c.Tags) > 10 {
			t.Errorf("%s: %d tags, max 10", c.Slug, len(c.Tags))
		}
		courseTags := map[string]bool{}
		for _, tag := range c.Tags {
			if !tags[tag] {
				t.Errorf("%s: unknown tag %q", c.Slug, tag)
			}
			if courseTags[tag] {
				t.Errorf("%s: tag %q repeated", c.Slug, tag)
			}
			courseTags[tag] = true
		}
		if len(c.FAQ) > 10 {
			t.Errorf("%s: %d FAQ entries, max 10", c.Slug, len(c.FAQ))
		}
		for _, f := range c.FAQ {
			if strings.TrimSpace(f.Question) == "" || strings.TrimSpace(f.Answer) == "" {
				t.Errorf("%s: FAQ entry with empty question or answer", c.Slug)
			}
		}

		// Sections and lessons.
		if len(c.Sections) == 0 {
			t.Errorf("%s: no sections", c.Slug)
		}
		minWords, maxWords := 60, 150
		if c.Slug == demoFlagshipSlug {
			minWords, maxWords = 120, 250
		}
		lessonSlugs := map[string]bool{}
		draftLessons := 0
		for _, s := range c.Sections {
			if strings.TrimSpace(s.Title) == "" {
				t.Errorf("%s: section without title", c.Slug)
			}
			if len(s.Lessons) == 0 {
				t.Errorf("%s: section %q has no lessons", c.Slug, s.Title)
			}
			for _, l := range s.Lessons {
				id := c.Slug + "/" + l.Slug
				if !demoSlugPattern.MatchString(l.Slug) || len(l.Slug) > 80 {
					t.Errorf("%s: lesson slug is not kebab-case", id)
				}
				if lessonSlugs[l.Slug] {
					t.Errorf("%s: duplicate lesson slug", id)
				}
				lessonSlugs[l.Slug] = true
				if n := demoRuneLen(l.Title); n < 1 || n > 200 {
					t.Errorf("%s: title length %d out of 1..200", id, n)
				}
				if l.ReadingMinutes < 2 || l.ReadingMinutes > 6 {
					t.Errorf("%s: reading minutes %d out of 2..6", id, l.ReadingMinutes)
				}
				if l.Access != "PUBLIC" && l.Access != "ENROLLED" {
					t.Errorf("%s: invalid access %q", id, l.Access)
				}
				if l.Draft {
					draftLessons++
				}
				if strings.Contains(l.Body, "`") {
					t.Errorf("%s: body contains a backtick", id)
				}
				if !demoHeadingPattern.MatchString(l.Body) {
					t.Errorf("%s: body has no level-two heading", id)
				}
				if !demoListItemPattern.MatchString(l.Body) {
					t.Errorf("%s: body has no list", id)
				}
				if n := demoWordCount(l.Body); n < minWords || n > maxWords {
					t.Errorf("%s: body has %d words, want %d..%d", id, n, minWords, maxWords)
				}
			}
		}
		if c.Status == "PUBLISHED" && draftLessons > 0 {
			publishedWithDraftLesson = true
		}
		if c.Status == "DRAFT" && draftLessons == 0 {
			t.Errorf("%s: draft course should contain at least one draft lesson", c.Slug)
		}
		if c.Status != "DRAFT" && demoPublishedLessonCount(c) == 0 {
			t.Errorf("%s: visible course has no published lessons", c.Slug)
		}
	}

	if n := len(demoCourses) - 1; n < 4 || n > 5 {
		t.Errorf("want 4 or 5 courses besides the flagship, got %d", n)
	}
	if statuses["DRAFT"] == 0 || statuses["ARCHIVED"] == 0 {
		t.Errorf("want at least one DRAFT and one ARCHIVED course, got %v", statuses)
	}
	if !publishedWithDraftLesson {
		t.Error("want at least one published course with a draft lesson")
	}
	for slug, want := range map[string]string{
		"postgresql-indexing-in-practice": "INTERMEDIATE/PUBLISHED/en",
		"graphql-api-design":              "INTERMEDIATE/PUBLISHED/en-GB",
		"introduction-a-sql":              "BEGINNER/PUBLISHED/fr",
		"event-driven-systems":            "ADVANCED/DRAFT/en",
		"legacy-monolith-migration":       "INTERMEDIATE/ARCHIVED/en",
	} {
		c, ok := demoCourseBySlug(slug)
		if !ok {
			t.Errorf("missing course %q", slug)
			continue
		}
		if got := c.Level + "/" + c.Status + "/" + c.Language; got != want {
			t.Errorf("%s: got %s, want %s", slug, got, want)
		}
		for _, s := range c.Sections {
			if n := len(s.Lessons); n < 2 || n > 4 {
				t.Errorf("%s: section %q has %d lessons, want 2..4", slug, s.Title, n)
			}
		}
		if n := len(c.Sections); n < 1 || n > 3 {
			t.Errorf("%s: %d sections, want 1..3", slug, n)
		}
	}
}

func TestDemoFlagship(t *testing.T) {
	c, ok := demoCourseBySlug(demoFlagshipSlug)
	if !ok {
		t.Fatalf("flagship course %q missing", demoFlagshipSlug)
	}
	if c.Level != "BEGINNER" || c.Language != "en" || c.Status != "PUBLISHED" {
		t.Errorf("flagship: got %s/%s/%s", c.Level, c.Language, c.Status)
	}
	if len(c.Instructors) != 1 || len(c.Assistants) != 1 {
		t.Errorf("flagship: want one co-instructor and one assistant, got %d and %d", len(c.Instructors), len(c.Assistants))
	}
	if n := len(c.FAQ); n < 5 || n > 6 {
		t.Errorf("flagship: %d FAQ entries, want 5..6", n)
	}
	if n := len(c.Requirements); n < 4 || n > 6 {
		t.Errorf("flagship: %d requirements, want 4..6", n)
	}
	if n := len(c.Takeaways); n < 5 || n > 7 {
		t.Errorf("flagship: %d takeaways, want 5..7", n)
	}
	wantSections := []struct {
		title   string
		lessons int // exact count, or minimum for the last section
	}{
		{"Foundations", 8},
		{"Data", 6},
		{"API design", 4},
		{"Security", 5},
		{"Infrastructure", 5},
		{"Shipping", 6},
		{"Testing", 3},
	}
	if len(c.Sections) != len(wantSections) {
		t.Fatalf("flagship: %d sections, want %d", len(c.Sections), len(wantSections))
	}
	for i, want := range wantSections {
		s := c.Sections[i]
		if s.Title != want.title {
			t.Errorf("flagship section %d: got %q, want %q", i, s.Title, want.title)
		}
		n := len(s.Lessons)
		if (want.title == "Testing" && n < want.lessons) || (want.title != "Testing" && n != want.lessons) {
			t.Errorf("flagship section %q: %d lessons, want %d", s.Title, n, want.lessons)
		}
		for j, l := range s.Lessons {
			wantAccess := "ENROLLED"
			if j == 0 || s.Title == "Foundations" {
				wantAccess = "PUBLIC"
			}
			if l.Access != wantAccess {
				t.Errorf("flagship lesson %q: access %s, want %s", l.Slug, l.Access, wantAccess)
			}
			if l.Draft {
				t.Errorf("flagship lesson %q should be published", l.Slug)
			}
		}
	}
}

func TestDemoEnrollmentsAndReviews(t *testing.T) {
	users := map[string]demoUser{}
	for _, u := range demoUsers {
		users[u.Email] = u
	}
	if n := len(demoEnrollments); n < 12 || n > 20 {
		t.Errorf("want 12..20 enrolments, got %d", n)
	}
	enrolled := map[string]bool{}
	for _, e := range demoEnrollments {
		key := e.Course + "|" + e.Learner
		c, ok := demoCourseBySlug(e.Course)
		if !ok {
			t.Errorf("enrolment %s: unknown course", key)
			continue
		}
		if c.Status != "PUBLISHED" && c.Status != "ARCHIVED" {
			t.Errorf("enrolment %s: course status is %s", key, c.Status)
		}
		if u, ok := users[e.Learner]; !ok || u.Role != "LEARNER" {
			t.Errorf("enrolment %s: %q is not a learner", key, e.Learner)
		}
		if demoStaff(c)[e.Learner] {
			t.Errorf("enrolment %s: learner is on the course staff", key)
		}
		if enrolled[key] {
			t.Errorf("enrolment %s: duplicate", key)
		}
		enrolled[key] = true
		if max := demoPublishedLessonCount(c); e.CompletedLessons < 0 || e.CompletedLessons > max {
			t.Errorf("enrolment %s: completed %d out of 0..%d", key, e.CompletedLessons, max)
		}
	}

	if n := len(demoReviews); n < 6 || n > 10 {
		t.Errorf("want 6..10 reviews, got %d", n)
	}
	reviewed := map[string]bool{}
	lowRating := false
	for _, r := range demoReviews {
		key := r.Course + "|" + r.Author
		c, ok := demoCourseBySlug(r.Course)
		if !ok {
			t.Errorf("review %s: unknown course", key)
			continue
		}
		if !enrolled[key] {
			t.Errorf("review %s: author is not enrolled", key)
		}
		if u, ok := users[r.Author]; !ok || u.Role != "LEARNER" {
			t.Errorf("review %s: author is not a learner", key)
		}
		if demoStaff(c)[r.Author] {
			t.Errorf("review %s: author is on the course staff", key)
		}
		if reviewed[key] {
			t.Errorf("review %s: duplicate", key)
		}
		reviewed[key] = true
		if r.Rating < 1 || r.Rating > 5 {
			t.Errorf("review %s: rating %d out of 1..5", key, r.Rating)
		}
		if r.Rating <= 3 {
			lowRating = true
		}
		if n := demoRuneLen(r.Body); n == 0 || n > 1000 {
			t.Errorf("review %s: body length %d out of 1..1000", key, n)
		}
	}
	if !lowRating {
		t.Error("want at least one review rated 3 or lower")
	}
}
