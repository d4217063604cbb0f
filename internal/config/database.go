package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// redactedMarker matches what net/url's Redacted writes, so passwords look the
// same wherever they were hidden.
const redactedMarker = "xxxxx"

// withheld stands in for a URL setting that cannot be parsed well enough to
// know where a password would be.
const withheld = "[withheld]"

// isSensitiveParam reports query parameters lib/pq accepts that carry secrets.
func isSensitiveParam(key string) bool {
	switch strings.ToLower(key) {
	case "password", "sslpassword":
		return true
	}
	return false
}

type dbTarget struct {
	driver string
	path   string
}

func parseDatabaseURL(raw, dataDir string) (dbTarget, error) {
	if raw == "" {
		return dbTarget{driver: DriverSQLite, path: filepath.Join(dataDir, DefaultSQLiteFile)}, nil
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || scheme == "" {
		return dbTarget{}, errors.New("has no scheme (want postgres://, postgresql://, sqlite:PATH or file:PATH)")
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		return dbTarget{driver: DriverPostgres}, checkPostgresURL(raw)
	case "sqlite", "file":
		p, err := sqlitePath(rest)
		return dbTarget{driver: DriverSQLite, path: p}, err
	}
	return dbTarget{}, errors.New("has an unsupported scheme (want postgres://, postgresql://, sqlite:PATH or file:PATH)")
}

// checkPostgresURL hides url.Parse's reason because it can quote a fragment
// of the password, such as a bad percent escape.
func checkPostgresURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("is not a valid URL (percent-encode special characters in the user name and password)")
	}
	if u.Opaque != "" {
		return errors.New("must start with postgres:// or postgresql://")
	}
	return nil
}

// sqlitePath accepts both the plain "sqlite:data/x.db" form and the URL form
// "sqlite:///abs/x.db". A query string is refused because the database layer
// appends its own pragmas and a second "?" would corrupt the DSN.
func sqlitePath(rest string) (string, error) {
	p := rest
	if strings.HasPrefix(rest, "//") {
		u, err := url.Parse("sqlite:" + rest)
		if err != nil {
			return "", fmt.Errorf("is not a valid URL: %w", urlCause(err))
		}
		if u.Host != "" && u.Host != "localhost" {
			return "", fmt.Errorf("names host %q; SQLite needs a local path", u.Host)
		}
		if u.RawQuery != "" || u.ForceQuery {
			return "", errors.New("has query parameters; SQLite options are set by the server")
		}
		p = u.Path
	}
	switch {
	case p == "":
		return "", errors.New("has no file path")
	case strings.ContainsAny(p, "?\x00"):
		return "", errors.New("has query parameters or a NUL byte in the path; SQLite options are set by the server")
	}
	return p, nil
}

// urlCause drops url.Error's Op and URL so the message does not repeat the
// whole value after the caller has already quoted it.
func urlCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// RedactDatabaseURL returns raw with any password replaced by "xxxxx", both in
// the userinfo and in password query parameters. SQLite paths come back
// unchanged. A value that does not parse as a URL with a scheme returns
// "[withheld]", because there is no telling which part of it is secret.
func RedactDatabaseURL(raw string) string {
	return RedactURL(raw)
}

// RedactURL returns a URL setting (DATABASE_URL, SMTP_URL) fit for logs: any
// password is replaced by "xxxxx", in the userinfo and in password query
// parameters, and sqlite: or file: paths come back unchanged. It cannot fail:
// a value that does not parse as a URL with a scheme returns "[withheld]",
// because there is no telling which part of it is secret.
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return withheld
	}
	if u.Opaque != "" {
		return redactOpaque(u, raw)
	}
	redactQuery(u)
	return u.Redacted()
}

// redactOpaque lets "sqlite:data/x.db" through because it is a file path;
// any other opaque form such as "postgres:user:pw@host" could be a password.
func redactOpaque(u *url.URL, raw string) string {
	switch strings.ToLower(u.Scheme) {
	case "sqlite", "file":
		return raw
	}
	return u.Scheme + ":" + withheld
}

func redactQuery(u *url.URL) {
	if u.RawQuery == "" {
		return
	}
	q := u.Query()
	changed := false
	for k := range q {
		if isSensitiveParam(k) {
			q[k] = []string{redactedMarker}
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
}

// quotableURL is how problems quote a rejected URL that is not DATABASE_URL.
// Any value with user info is withheld whole: in a URL that fails
// validation, an unescaped character in the password can move part of it
// into the host or query, where RedactURL would not find it.
func quotableURL(v string) string {
	if strings.Contains(v, "@") {
		return withheld
	}
	return v
}
