package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// VarStorageURL names the object store for uploaded files.
const VarStorageURL = "STORAGE_URL"

// Object store drivers reported by StorageConfig.Driver.
const (
	StorageFile = "file"
	StorageS3   = "s3"
)

// blobsSubdir is where the default file store keeps objects inside DataDir.
const blobsSubdir = "blobs"

// The query parameters an s3:// STORAGE_URL accepts. Anything else is refused
// rather than passed on, so a misspelt option fails the start instead of
// being silently ignored, and no credential can ride along in the URL.
const (
	s3ParamRegion       = "region"
	s3ParamEndpoint     = "endpoint"
	s3ParamUsePathStyle = "use_path_style"
)

var s3Params = []string{s3ParamRegion, s3ParamEndpoint, s3ParamUsePathStyle}

const storageURLForms = "want file:///ABSOLUTE/PATH or s3://BUCKET?region=REGION"

// StorageConfig is the object store for uploaded files (internal/storage),
// read from STORAGE_URL, with the settings of uploads and public files. It
// never holds S3 credentials: an S3 store takes them from the AWS SDK's
// usual sources (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE,
// an instance role…). It does hold the file store's signing key, so every
// way of printing or logging it shows only whether the key is set.
type StorageConfig struct {
	// Driver is StorageFile or StorageS3.
	Driver string
	// Dir is the file store's directory (file only). The default,
	// DataDir/blobs, is relative when DATA_DIR is.
	Dir string
	// Bucket is the S3 bucket (s3 only).
	Bucket string
	// Region is the bucket's region, the one requests are signed for
	// (s3 only).
	Region string
	// Endpoint is the base URL of an S3-compatible server; empty means
	// Amazon S3 itself (s3 only).
	Endpoint string
	// UsePathStyle addresses the bucket as ENDPOINT/BUCKET instead of
	// BUCKET.ENDPOINT, which most self-hosted servers need (s3 only).
	UsePathStyle bool
	// SigningKey is the HMAC key of the file store's signed upload and
	// download URLs, at least 32 bytes (STORAGE_SIGNING_KEY; file only,
	// nil on S3, which signs with the AWS credentials). Required outside
	// dev; in dev, nil means the server generates one into
	// Config.StorageKeyFile.
	SigningKey []byte
	// PublicBaseURL is the absolute http(s) URL prefix, without a trailing
	// slash, of a CDN or public bucket serving public image renditions at
	// PublicBaseURL + "/" + key (ASSETS_PUBLIC_BASE_URL). Empty means the
	// server serves them at Config.APIBaseURL + "/v1/assets/" + key.
	PublicBaseURL string
	// DailyUploadBytes caps the bytes one user may declare in uploads per
	// rolling 24 hours (UPLOAD_DAILY_BYTES).
	DailyUploadBytes int64
}

// storage reads STORAGE_URL. A file:// store is allowed in stage and prod:
// unlike SQLite, which is refused there unless asked for, the file store
// renames each finished object into place, which is safe on a network file
// system shared by every replica, and Load cannot tell a shared mount from a
// local disk. Whether the directory is backed up and shared is the
// operator's decision; the start-up log line names the driver and directory
// so the default is never chosen unseen.
func (l *loader) storage(env Env, dataDir string) StorageConfig {
	v := l.lookup(VarStorageURL)
	if v == "" {
		return StorageConfig{Driver: StorageFile, Dir: filepath.Join(dataDir, blobsSubdir)}
	}
	u, err := url.Parse(v)
	if err != nil {
		l.reject(VarStorageURL, "%q is not a valid URL (%s)", quotableURL(v), storageURLForms)
		return StorageConfig{}
	}
	shown := storageURLForLog(v, u)
	c, problems := parseStorageURL(v, u, env)
	for _, p := range problems {
		l.reject(VarStorageURL, "%q %s", shown, p)
	}
	return c
}

// parseStorageURL returns every problem with u, parsed from raw, not only
// the first.
func parseStorageURL(raw string, u *url.URL, env Env) (StorageConfig, []string) {
	var problems []string
	if u.User != nil {
		problems = append(problems, "has user info; credentials come from the AWS environment "+
			"(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE), never from the URL")
	}
	if strings.Contains(raw, "#") {
		problems = append(problems, "has a fragment")
	}
	var c StorageConfig
	switch strings.ToLower(u.Scheme) {
	case StorageFile:
		c = StorageConfig{Driver: StorageFile}
		c.Dir, problems = parseFileStoreURL(u, problems)
	case StorageS3:
		c, problems = parseS3URL(u, env, problems)
	case "":
		problems = append(problems, "has no scheme ("+storageURLForms+")")
	default:
		problems = append(problems, "has an unsupported scheme ("+storageURLForms+")")
	}
	return c, problems
}

// parseFileStoreURL takes absolute paths only: a relative one would depend on
// the directory the server happens to start in. The default store under
// DATA_DIR is the way to keep objects next to the database.
func parseFileStoreURL(u *url.URL, problems []string) (string, []string) {
	if u.Opaque != "" {
		return "", append(problems, "must be file:///ABSOLUTE/PATH")
	}
	if u.Host != "" {
		problems = append(problems, fmt.Sprintf("names host %q; the file store needs a local path (file:///PATH)", u.Host))
	}
	switch {
	case u.Path == "":
		problems = append(problems, "has no path (want file:///ABSOLUTE/PATH)")
	case strings.ContainsRune(u.Path, 0):
		problems = append(problems, "contains a NUL byte")
	}
	for _, k := range sortedKeys(u.Query()) {
		problems = append(problems, fmt.Sprintf("has unknown query parameter %q (the file store takes none)", k))
	}
	if u.Path == "" {
		return "", problems
	}
	return filepath.Clean(u.Path), problems
}

func parseS3URL(u *url.URL, env Env, problems []string) (StorageConfig, []string) {
	c := StorageConfig{Driver: StorageS3}
	if u.Opaque != "" {
		return c, append(problems, "must be s3://BUCKET?region=REGION")
	}
	c.Bucket = u.Host
	switch {
	case c.Bucket == "":
		problems = append(problems, "has no bucket (want s3://BUCKET?region=REGION)")
	case !bucketPattern.MatchString(c.Bucket) || strings.Contains(c.Bucket, ".."):
		problems = append(problems, fmt.Sprintf("names bucket %q; want 3-63 of a-z, 0-9, '.' and '-', starting and ending with a letter or digit", c.Bucket))
	}
	if u.Path != "" && u.Path != "/" {
		problems = append(problems, "has a path; keys are chosen by the server (want s3://BUCKET?region=REGION)")
	}
	q := u.Query()
	for _, k := range sortedKeys(q) {
		switch {
		case !slices.Contains(s3Params, k):
			problems = append(problems, fmt.Sprintf("has unknown query parameter %q (want %s)", k, strings.Join(s3Params, ", ")))
		case len(q[k]) > 1:
			problems = append(problems, fmt.Sprintf("sets %q more than once", k))
		}
	}
	c.Region = q.Get(s3ParamRegion)
	switch {
	case c.Region == "":
		problems = append(problems, "has no region (add ?region=…, e.g. us-east-1)")
	case !regionPattern.MatchString(c.Region):
		problems = append(problems, fmt.Sprintf("names region %q; want 1-64 of a-z, A-Z, 0-9, '-' and '_'", c.Region))
	}
	if v := q.Get(s3ParamUsePathStyle); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("has use_path_style=%q; want true or false", v))
		}
		c.UsePathStyle = b
	}
	if v := q.Get(s3ParamEndpoint); v != "" {
		endpoint, err := checkEndpoint(v, env)
		if err != nil {
			problems = append(problems, "has an endpoint that "+err.Error())
		}
		c.Endpoint = endpoint
	}
	return c, problems
}

// bucketPattern is Amazon's rule for bucket names, which S3-compatible
// servers follow too; a name outside it cannot work with virtual-host
// addressing and is almost always a typo.
var bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// regionPattern admits Amazon's regions and the looser names self-hosted
// servers use ("auto", "garage"), but nothing that could break a signature.
var regionPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// checkEndpoint requires https outside dev unless the server is on loopback:
// browsers upload straight to the endpoint from pages served over https,
// and they refuse plain http there except for the machine itself.
func checkEndpoint(raw string, env Env) (string, error) {
	u, err := parseWebURL(raw)
	if err != nil {
		return raw, err
	}
	if env != EnvDev && u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return u.String(), fmt.Errorf("must use https in %s (browsers refuse plain http uploads from an https page)", env)
	}
	return u.String(), nil
}

// storageURLForLog hides the values of query parameters Lectern does not
// know, and the whole URL when it carries user info, because either may be
// a credential pasted in the wrong place.
func storageURLForLog(raw string, u *url.URL) string {
	if u.User != nil || strings.Contains(raw, "@") {
		return withheld
	}
	q := u.Query()
	masked := false
	for k, vs := range q {
		if slices.Contains(s3Params, k) && !strings.Contains(strings.Join(vs, ""), "@") {
			continue
		}
		for i := range vs {
			vs[i] = redactedMarker
		}
		masked = true
	}
	if !masked {
		return raw
	}
	shown := *u
	shown.RawQuery = q.Encode()
	return shown.String()
}

func sortedKeys(q url.Values) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// LogValue returns the settings as a log group, the signing key shown only
// as "set", "unused" or "none".
func (c StorageConfig) LogValue() slog.Value {
	return slog.GroupValue(c.logAttrs("")...)
}

// String returns the same view as LogValue as key=value pairs.
func (c StorageConfig) String() string {
	return joinAttrs(c.logAttrs(""))
}

// Format prints c as String does whatever the verb, so that no formatting
// of a StorageConfig (or of a Config holding one, even with %#v) shows the
// signing key.
func (c StorageConfig) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// logAttrs lists only the settings of the chosen driver, and the signing
// key by signingKeyState. Nothing else is secret: Load refuses user info in
// STORAGE_URL and every unknown parameter. env tells a key the dev server
// will generate from one that is missing.
func (c StorageConfig) logAttrs(env Env) []slog.Attr {
	attrs := []slog.Attr{slog.String("storage_driver", c.Driver)}
	if c.Driver == StorageFile {
		attrs = append(attrs, slog.String("storage_dir", c.Dir))
	} else {
		attrs = append(attrs,
			slog.String("storage_bucket", c.Bucket),
			slog.String("storage_region", c.Region),
			slog.String("storage_endpoint", c.Endpoint),
			slog.Bool("storage_path_style", c.UsePathStyle),
		)
	}
	return append(attrs,
		slog.String("storage_signing_key", c.signingKeyState(env)),
		slog.String("assets_public_base_url", c.PublicBaseURL),
		slog.Int64("upload_daily_bytes", c.DailyUploadBytes),
	)
}
