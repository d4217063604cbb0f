package graph

import (
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"
	"github.com/riverqueue/river/rivertype"

	"lectern/graph/model"
	"lectern/internal/apperr"
	"lectern/internal/gid"
	"lectern/internal/jobs"
)

// Job cursors are the Cursor scalar every connection uses, so the one
// cursor check before execution (limits.go) and the fuzzed decoding apply
// to them: no UUID, and the job's ID as the value. Anything else (a cursor
// of another connection, a forged one) is BAD_USER_INPUT.

// jobCursor returns the cursor of job id.
func jobCursor(id int64) entgql.Cursor[uuid.UUID] { return entgql.Cursor[uuid.UUID]{Value: id} }

// jobCursorID returns the job ID a cursor argument carries, nil when the
// argument was not given.
func jobCursorID(c *entgql.Cursor[uuid.UUID], name string) (*int64, error) {
	if c == nil {
		return nil, nil
	}
	id, ok := positiveInt(c.Value)
	if !ok || c.ID != uuid.Nil {
		return nil, apperr.Newf(apperr.BadUserInput, "%s is not a valid cursor", name)
	}
	return &id, nil
}

// positiveInt returns v as an int64 when it is a positive integer of any
// of the types msgpack decodes one into.
func positiveInt(v any) (int64, bool) {
	var n int64
	switch x := v.(type) {
	case int8:
		n = int64(x)
	case int16:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case int:
		n = int64(x)
	case uint8:
		n = int64(x)
	case uint16:
		n = int64(x)
	case uint32:
		n = int64(x)
	case uint64:
		n = int64(x)
		if x > 1<<63-1 {
			return 0, false
		}
	default:
		return 0, false
	}
	return n, n > 0
}

// jobQuery maps the arguments of Query.jobs to the domain's filter and
// page.
func jobQuery(where *model.JobWhereInput, after *entgql.Cursor[uuid.UUID], first *int,
	before *entgql.Cursor[uuid.UUID], last *int) (jobs.JobFilter, jobs.JobPage, error) {
	var f jobs.JobFilter
	if where != nil {
		if where.State != nil {
			f.State = rivertype.JobState(strings.ToLower(string(*where.State)))
		}
		if where.Kind != nil {
			f.Kind = *where.Kind
		}
	}
	p := jobs.JobPage{First: first, Last: last}
	var err error
	if p.After, err = jobCursorID(after, "after"); err != nil {
		return f, p, err
	}
	p.Before, err = jobCursorID(before, "before")
	return f, p, err
}

// jobConnection maps a page of jobs to the schema's connection.
func jobConnection(l *jobs.JobList, err error) (*model.JobConnection, error) {
	if err != nil {
		return nil, err
	}
	out := &model.JobConnection{Edges: make([]*model.JobEdge, len(l.Jobs)),
		PageInfo: &entgql.PageInfo[uuid.UUID]{HasNextPage: l.HasNextPage, HasPreviousPage: l.HasPreviousPage}}
	for i, j := range l.Jobs {
		out.Edges[i] = &model.JobEdge{Node: jobModel(j), Cursor: jobCursor(j.ID)}
	}
	if n := len(out.Edges); n > 0 {
		out.PageInfo.StartCursor = &out.Edges[0].Cursor
		out.PageInfo.EndCursor = &out.Edges[n-1].Cursor
	}
	return out, nil
}

// jobModel maps a job to the schema's Job.
func jobModel(j *jobs.Job) *model.Job {
	if j == nil {
		return nil
	}
	out := &model.Job{ID: gid.NewInt(gid.Job, j.ID), Kind: j.Kind, Queue: j.Queue,
		State: model.JobState(strings.ToUpper(string(j.State))), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		CreatedAt: j.CreatedAt, ScheduledAt: j.ScheduledAt, AttemptedAt: j.AttemptedAt, FinalizedAt: j.FinalizedAt,
		Errors: make([]*model.JobError, len(j.Errors))}
	for i, e := range j.Errors {
		out.Errors[i] = &model.JobError{Attempt: e.Attempt, At: e.At, Message: e.Message}
	}
	return out
}

func jobPayload(j *jobs.Job, ue userErrors) *model.JobPayload {
	return &model.JobPayload{Job: jobModel(j), UserErrors: ue}
}
