// Package app is Lectern's composition root: Build turns the configuration
// and an open database into every service the process runs (policy,
// access, audit, identity, learning, authoring, catalog, mail, the job
// queue and its workers) and the HTTP handler over them, each built once.
//
// Below this package nothing reads config.Config: services take plain
// values, so they can be built the same way by the commands in server.go
// and by the tests (internal/testenv), which call Build too.
package app
