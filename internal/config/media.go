package config

import (
	"encoding/base64"
	"path/filepath"
)

// Settings of uploads and of the URLs files are reached at.
const (
	VarStorageSigningKey   = "STORAGE_SIGNING_KEY"
	VarAPIBaseURL          = "API_BASE_URL"
	VarAssetsPublicBaseURL = "ASSETS_PUBLIC_BASE_URL"
	VarUploadDailyBytes    = "UPLOAD_DAILY_BYTES"
)

// DefaultUploadDailyBytes is UPLOAD_DAILY_BYTES when unset: 500 MiB a user
// per rolling 24 hours, plenty for lecture slides and images, too little
// for someone using the store as free hosting.
const DefaultUploadDailyBytes = 500 << 20

const (
	minUploadDailyBytes = 1 << 20
	maxUploadDailyBytes = 1 << 40
	// minSigningKeyBytes matches internal/storage: an HMAC-SHA256 key
	// should carry as many bits as the hash.
	minSigningKeyBytes = 32
)

// DevStorageKeyFile is the file inside DataDir where dev keeps the storage
// signing key it generates when STORAGE_SIGNING_KEY is empty.
const DevStorageKeyFile = "storage-signing.key"

// signingKeyHint ends the STORAGE_SIGNING_KEY problems, which never quote
// the value: any part of it may be key material.
const signingKeyHint = "at least 32 random bytes in base64, e.g. $(openssl rand -base64 32)"

// StorageKeyFile returns DataDir/storage-signing.key. It cannot fail; the
// file is created (by the server, in dev only) when first needed.
func (c Config) StorageKeyFile() string {
	return filepath.Join(c.DataDir, DevStorageKeyFile)
}

// storageSigningKey requires a key outside dev when the file store signs
// URLs: every replica must verify the links any other one signed, and
// links must survive a restart, so a key generated on one machine's disk
// will not do. A key that is set is checked whatever the driver, so that
// switching from S3 to the file store cannot uncover a bad one later; on S3
// it is otherwise unused, since S3 signs with the AWS credentials, and
// driver "" (a refused STORAGE_URL) adds no follow-on problem.
func (l *loader) storageSigningKey(env Env, driver string) []byte {
	v := l.lookup(VarStorageSigningKey)
	if v == "" {
		if env != EnvDev && driver == StorageFile {
			l.reject(VarStorageSigningKey, "is required in %s with the file store (STORAGE_URL empty or file://): %s", env, signingKeyHint)
		}
		return nil
	}
	key, ok := decodeBase64(v)
	switch {
	case !ok:
		l.reject(VarStorageSigningKey, "is not base64 (standard or URL-safe, padding optional): %s", signingKeyHint)
		return nil
	case len(key) < minSigningKeyBytes:
		l.reject(VarStorageSigningKey, "is %d bytes, want %s", len(key), signingKeyHint)
		return nil
	case driver != StorageFile:
		return nil
	}
	return key
}

// decodeBase64 accepts every common base64 dialect, since operators paste
// keys from different tools.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// apiBaseURL is required outside dev with the file store because its
// signed links are absolute URLs into this server, and behind a proxy the
// listen address says nothing about the URL clients use. Dev points at the
// listener, as PUBLIC_BASE_URL does. It must be https outside dev: browsers
// upload to it from pages served over https.
func (l *loader) apiBaseURL(env Env, httpAddr, driver string) string {
	v := l.lookup(VarAPIBaseURL)
	if v == "" {
		switch {
		case env == EnvDev:
			return devBaseURL(httpAddr)
		case driver == StorageFile:
			l.reject(VarAPIBaseURL, "is required in %s with the file store (STORAGE_URL empty or file://), e.g. https://api.example.com", env)
		case driver == StorageS3 && l.lookup(VarAssetsPublicBaseURL) == "":
			l.reject(VarAPIBaseURL, "is required in %s unless %s is set: public images are served by this server", env, VarAssetsPublicBaseURL)
		}
		return ""
	}
	return l.webURL(VarAPIBaseURL, v, env)
}

// assetsPublicBaseURL is optional: without it the server serves public
// renditions itself below API_BASE_URL.
func (l *loader) assetsPublicBaseURL(env Env) string {
	v := l.lookup(VarAssetsPublicBaseURL)
	if v == "" {
		return ""
	}
	return l.webURL(VarAssetsPublicBaseURL, v, env)
}

func (l *loader) uploadDailyBytes() int64 {
	return l.byteCount(VarUploadDailyBytes, DefaultUploadDailyBytes, minUploadDailyBytes, maxUploadDailyBytes)
}

// signingKeyState says whether SigningKey is set without showing it: "set",
// "generated in dev" (empty in dev, where the server generates one),
// "unused" (not the file store) or "none".
func (c StorageConfig) signingKeyState(env Env) string {
	switch {
	case c.Driver != StorageFile:
		return "unused"
	case len(c.SigningKey) > 0:
		return "set"
	case env == EnvDev:
		return "generated in dev"
	}
	return "none"
}
