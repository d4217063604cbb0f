// Package web is the HTTP side of authentication on the GraphQL route: it
// works out who the client is (address and user agent), reads the session
// cookie or an `Authorization: Bearer` token, refuses cross-site cookie
// requests and credentials in URLs, answers CORS, and lets resolvers set and
// clear the session cookie.
//
// The route is stacked as
//
//	CORS → POST/JSON guard → Authenticate → GraphQL
//
// CORS comes first so that a browser can read every refusal the later steps
// write. The guard (in internal/httpserver) admits only POSTed JSON, which a
// browser cannot send across sites without a CORS preflight; Authenticate
// adds an Origin check on top for cookie requests, so a cookie is honoured
// only on requests made by the site itself or an allowlisted one.
//
// Deciding whether a credential is valid is not this package's business: it
// asks an Authenticator, implemented by the account service.
package web
