package main

import (
	"context"
	"strings"
	"text/template"
)

// rotation is a read mix's traffic on one server: its requests sent in
// turn, each wrk thread (whose connections share its place) or each
// connection of the built-in generator starting at its own place, so that
// at any moment the reads in flight are spread over the mix.
type rotation []request

func (r rotation) target() string             { return r[0].url }
func (rotation) rewind(context.Context) error { return nil }

func (r rotation) senders(conns int) []func() request {
	out := make([]func() request, conns)
	for i := range out {
		pos := i
		out[i] = func() request {
			next := r[pos%len(r)]
			pos++
			return next
		}
	}
	return out
}

// rotationLua is the wrk script of a read mix: thread t starts at
// request t and sends them in turn.
var rotationLua = template.Must(template.New("mix.lua").Funcs(template.FuncMap{"lua": luaString}).Parse(
	`-- loadbench's read mix: {{len .}} reads sent in turn.
local bodies = {
{{- range .}}
  {{lua (printf "%s" .Body)}},
{{- end}}
}

local headers = {
{{- range .}}
  {["Content-Type"] = "application/json"{{if .Token}}, ["Authorization"] = {{lua (printf "Bearer %s" .Token)}}{{end}}},
{{- end}}
}

` + wrkThreadIDs + `
local pos
function init(args)
  pos = (id - 1) % #bodies
  -- wrk calls request once on its first thread before the run, to check
  -- what it makes; that call takes the last read, so the run starts at
  -- the first.
  if id == 1 then
    pos = #bodies - 1
  end
end

function request()
  pos = pos % #bodies + 1
  return wrk.format("POST", nil, headers[pos], bodies[pos])
end
`))

// luaScript is the wrk script sending r in turn from any number of
// threads.
func (r rotation) luaScript(int) string {
	type entry struct {
		Body  []byte
		Token string
	}
	data := make([]entry, len(r))
	for i, req := range r {
		data[i] = entry{req.body, req.token}
	}
	var b strings.Builder
	if err := rotationLua.Execute(&b, data); err != nil {
		panic(err) // the template and its data are fixed here
	}
	return b.String()
}
