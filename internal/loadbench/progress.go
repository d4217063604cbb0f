package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
)

// The progress scenario: progressLearners learners enrolled in the
// fixture's course complete and uncomplete its published lessons
// concurrently, every request a write. They are created on first use as
// bench-progress-01@example.com and on, with learnerPassword.
const progressLearners = 20

func progressEmail(k int) string { return fmt.Sprintf("bench-progress-%02d@example.com", k+1) }

// The mutations the scenario sends, with the fields a client would read
// back (and the checks do).
const (
	completeLessonDoc   = `mutation($id: ID!) { completeLesson(lessonId: $id) { enrollment { status completedLessonCount } userErrors { code message } } }`
	uncompleteLessonDoc = `mutation($id: ID!) { uncompleteLesson(lessonId: $id) { enrollment { status completedLessonCount } userErrors { code message } } }`
)

// progressPayload is the answer to either mutation.
type progressPayload struct {
	Enrollment *struct {
		Status               string
		CompletedLessonCount int
	}
	UserErrors userErrors
}

// progressStep is one request of the rotation: a learner completes, or
// uncompletes, a lesson (both indexes into the scenario's lists).
type progressStep struct {
	learner, lesson int
	complete        bool
}

// progressCycles deals learners learners to streams streams (1 ≤ streams ≤
// learners; learner k to stream k mod streams) and returns the cycle each
// stream replays. A stream gives its learners turns in order; on its turns
// a learner completes every one of lessons lessons, starting from lesson
// k mod lessons to spread the learners over the course, then uncompletes
// them in the same order. Replayed from a state where no lesson is done,
// every request writes, and each cycle ends with none done again. Streams
// share no learner, and a stream comes back to the same learner and lesson
// only lessons × (its learners) requests later, so the connections of one
// wrk thread, which replay one cycle between them, do not send the same
// learner's complete and uncomplete of one lesson at once.
func progressCycles(learners, lessons, streams int) [][]progressStep {
	cycles := make([][]progressStep, streams)
	for s := range cycles {
		var own []int
		for k := s; k < learners; k += streams {
			own = append(own, k)
		}
		for turn := range 2 * lessons {
			for _, k := range own {
				cycles[s] = append(cycles[s], progressStep{
					learner:  k,
					lesson:   (k + turn) % lessons,
					complete: turn < lessons,
				})
			}
		}
	}
	return cycles
}

// progressTraffic is the progress scenario's load on Lectern.
type progressTraffic struct {
	url     string
	tokens  []string // one session per learner
	lessons []string // IDs of the course's published lessons
	// complete[l] and uncomplete[l] are the requests' bodies for lesson l;
	// rewindBody uncompletes every lesson.
	complete, uncomplete [][]byte
	rewindBody           []byte
}

// prepareProgress is the progress scenario's set-up on Lectern: it creates
// the learners if missing, signs each in, enrols each in the fixture's
// course, reads the course's published lessons and checks a first request
// of each learner.
func prepareProgress(ctx context.Context, a *app, s *server, f fixture) (traffic, error) {
	p := &progressTraffic{url: s.endpoint}
	for k := range progressLearners {
		email := progressEmail(k)
		if err := a.createLearner(ctx, email, fmt.Sprintf("Bench %02d", k+1)); err != nil {
			return nil, err
		}
		token, err := logIn(ctx, s, email)
		if err != nil {
			return nil, err
		}
		if err := enroll(ctx, s, f.courseID, token); err != nil {
			return nil, fmt.Errorf("%s: %w", email, err)
		}
		p.tokens = append(p.tokens, token)
	}
	log.Printf("enrolled %s..%s in %s", progressEmail(0), progressEmail(progressLearners-1), f.courseSlug)
	var err error
	if p.lessons, err = lessonIDs(ctx, s, f.courseSlug, p.tokens[0]); err != nil {
		return nil, err
	}
	if len(p.lessons) == 0 {
		return nil, fmt.Errorf("course %s has no published lesson", f.courseSlug)
	}
	for _, id := range p.lessons {
		complete, err := newRequest(s, completeLessonDoc, map[string]any{"id": id}, "")
		if err != nil {
			return nil, err
		}
		uncomplete, err := newRequest(s, uncompleteLessonDoc, map[string]any{"id": id}, "")
		if err != nil {
			return nil, err
		}
		p.complete, p.uncomplete = append(p.complete, complete.body), append(p.uncomplete, uncomplete.body)
	}
	rewind, err := newRequest(s, rewindDoc(len(p.lessons)), rewindVars(p.lessons), "")
	if err != nil {
		return nil, err
	}
	p.rewindBody = rewind.body
	if err := p.check(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// lessonIDs lists the published lessons of a course, as its enrolled
// learner signed in with token sees them.
func lessonIDs(ctx context.Context, s *server, slug, token string) ([]string, error) {
	r, err := newRequest(s, `query($slug: String!) { course(slug: $slug) { sections { lessons { id } } } }`,
		map[string]any{"slug": slug}, token)
	if err != nil {
		return nil, err
	}
	data, err := r.call(ctx)
	if err != nil {
		return nil, err
	}
	var v struct {
		Course *struct {
			Sections []struct{ Lessons []struct{ ID string } }
		}
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	if v.Course == nil {
		return nil, fmt.Errorf("course %s not found", slug)
	}
	var ids []string
	for _, sec := range v.Course.Sections {
		for _, l := range sec.Lessons {
			ids = append(ids, l.ID)
		}
	}
	return ids, nil
}

func (p *progressTraffic) target() string { return p.url }

// step is the request that carries st.
func (p *progressTraffic) step(st progressStep) request {
	body := p.uncomplete[st.lesson]
	if st.complete {
		body = p.complete[st.lesson]
	}
	return request{url: p.url, body: body, token: p.tokens[st.learner]}
}

// check rewinds, sends each learner's first request of the rotation and
// rewinds again: no errors, no userErrors, and the enrolment's count of
// completed lessons must move as each request says (one up per complete,
// back to 0 after a rewind), which shows that they write.
func (p *progressTraffic) check(ctx context.Context) error {
	if err := p.rewind(ctx); err != nil {
		return err
	}
	done := make([]int, len(p.tokens))
	for _, st := range progressCycles(len(p.tokens), len(p.lessons), 1)[0][:len(p.tokens)] {
		field := "uncompleteLesson"
		if st.complete {
			field = "completeLesson"
			done[st.learner]++
		} else {
			done[st.learner]--
		}
		if err := checkProgress(ctx, p.step(st), field, done[st.learner]); err != nil {
			return fmt.Errorf("%s: %w", progressEmail(st.learner), err)
		}
	}
	if err := p.rewind(ctx); err != nil {
		return err
	}
	log.Printf("scenario progress: %d learners, %d lessons; each learner's first request checked", len(p.tokens), len(p.lessons))
	return nil
}

// checkProgress sends r, a completeLesson or uncompleteLesson (field), and
// checks that it answers an enrolment with done lessons completed.
func checkProgress(ctx context.Context, r request, field string, done int) error {
	data, err := r.call(ctx)
	if err != nil {
		return err
	}
	var v map[string]progressPayload
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	payload, ok := v[field]
	if !ok {
		return fmt.Errorf("%s: no answer in %.300s", field, data)
	}
	if err := payload.UserErrors.err(field); err != nil {
		return err
	}
	if e := payload.Enrollment; e == nil || e.CompletedLessonCount != done {
		return fmt.Errorf("%s: want an enrolment with %d lesson(s) completed, got %.300s", field, done, data)
	}
	return nil
}

// rewindDoc uncompletes lessons lessons, $l0 to $l(lessons-1), as
// aliases l0 and on, in one request.
func rewindDoc(lessons int) string {
	var doc strings.Builder
	doc.WriteString("mutation(")
	for l := range lessons {
		fmt.Fprintf(&doc, "$l%d: ID! ", l)
	}
	doc.WriteString(") {")
	for l := range lessons {
		fmt.Fprintf(&doc, " l%d: uncompleteLesson(lessonId: $l%d) { enrollment { completedLessonCount } userErrors { code message } }", l, l)
	}
	doc.WriteString(" }")
	return doc.String()
}

func rewindVars(ids []string) map[string]any {
	vars := make(map[string]any, len(ids))
	for l, id := range ids {
		vars[fmt.Sprintf("l%d", l)] = id
	}
	return vars
}

// rewind uncompletes every lesson for every learner, one request per
// learner, so that each starts its cycle with nothing done: a run cut off
// mid-cycle leaves lessons done.
func (p *progressTraffic) rewind(ctx context.Context) error {
	errs := make([]error, len(p.tokens))
	var wg sync.WaitGroup
	for k, token := range p.tokens {
		wg.Go(func() {
			if err := checkRewound(ctx, request{url: p.url, body: p.rewindBody, token: token}, len(p.lessons)); err != nil {
				errs[k] = fmt.Errorf("rewinding %s: %w", progressEmail(k), err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// checkRewound sends r, the rewind of one learner's lessons lessons, and
// checks that every lesson answers and the last leaves none completed.
func checkRewound(ctx context.Context, r request, lessons int) error {
	data, err := r.call(ctx)
	if err != nil {
		return err
	}
	var v map[string]progressPayload
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	for l := range lessons {
		payload, ok := v[fmt.Sprintf("l%d", l)]
		if !ok {
			return fmt.Errorf("lesson %d: no answer in %.300s", l, data)
		}
		if err := payload.UserErrors.err("uncompleteLesson"); err != nil {
			return err
		}
	}
	if e := v[fmt.Sprintf("l%d", lessons-1)].Enrollment; e == nil || e.CompletedLessonCount != 0 {
		return fmt.Errorf("lessons still completed after uncompleting every one: %.300s", data)
	}
	return nil
}

// senders gives the built-in generator's connections min(conns, learners)
// streams of progressCycles, the connections of one stream replaying its
// cycle between them (each its own, with 20 connections and learners).
func (p *progressTraffic) senders(conns int) []func() request {
	cycles := progressCycles(len(p.tokens), len(p.lessons), min(conns, len(p.tokens)))
	requests := make([][]request, len(cycles))
	for s, cycle := range cycles {
		for _, st := range cycle {
			requests[s] = append(requests[s], p.step(st))
		}
	}
	next := make([]atomic.Int64, len(cycles))
	out := make([]func() request, conns)
	for i := range out {
		s := i % len(cycles)
		out[i] = func() request {
			n := next[s].Add(1) - 1
			return requests[s][n%int64(len(requests[s]))]
		}
	}
	return out
}

// progressLua is the wrk script of the progress scenario. Each wrk thread
// has a Lua state of its own: setup, which wrk runs in its main state once
// per thread in order, numbers them, and thread t replays cycles[t].
var progressLua = template.Must(template.New("progress.lua").Funcs(template.FuncMap{"lua": luaString}).Parse(
	`-- loadbench's progress scenario: {{len .Headers}} learners complete and
-- uncomplete {{.Lessons}} lessons, each wrk thread replaying a cycle of its own.
wrk.method = "POST"

-- bodies[2l-1] completes lesson l, bodies[2l] uncompletes it.
local bodies = {
{{- range .Bodies}}
  {{lua .}},
{{- end}}
}

-- headers[k] are learner k's.
local headers = {
{{- range .Headers}}
  {["Content-Type"] = "application/json", ["Authorization"] = {{lua .}}},
{{- end}}
}

-- cycles[t] is thread t's cycle, as pairs of a learner and a body.
local cycles = {
{{- range .Cycles}}
  { {{- range .}}{{.Learner}},{{.Body}}, {{end -}} },
{{- end}}
}

` + wrkThreadIDs + `
local cycle, pos
function init(args)
  cycle, pos = cycles[id], 1
  -- wrk calls request once on its first thread before the run, to check
  -- what it makes; that call takes the last pair, so the run starts at
  -- the first.
  if id == 1 then
    pos = #cycle - 1
  end
end

function request()
  local learner, body = cycle[pos], cycle[pos + 1]
  pos = pos + 2
  if pos > #cycle then
    pos = 1
  end
  return wrk.format(nil, nil, headers[learner], bodies[body])
end
`))

// luaScript is the wrk script replaying progressCycles for threads threads.
func (p *progressTraffic) luaScript(threads int) string {
	type pair struct{ Learner, Body int } // indexes from 1, as Lua does
	data := struct {
		Lessons int
		Bodies  []string
		Headers []string
		Cycles  [][]pair
	}{Lessons: len(p.lessons)}
	for l := range p.lessons {
		data.Bodies = append(data.Bodies, string(p.complete[l]), string(p.uncomplete[l]))
	}
	for _, token := range p.tokens {
		data.Headers = append(data.Headers, "Bearer "+token)
	}
	for _, cycle := range progressCycles(len(p.tokens), len(p.lessons), threads) {
		pairs := make([]pair, len(cycle))
		for i, st := range cycle {
			pairs[i] = pair{Learner: st.learner + 1, Body: 2*st.lesson + 1}
			if !st.complete {
				pairs[i].Body++
			}
		}
		data.Cycles = append(data.Cycles, pairs)
	}
	var b strings.Builder
	if err := progressLua.Execute(&b, data); err != nil {
		panic(err) // the template and its data are fixed here
	}
	return b.String()
}
