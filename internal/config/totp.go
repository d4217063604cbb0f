package config

import (
	"path/filepath"
	"strings"

	"lectern/internal/sealed"
)

// DevTOTPKeyFile is the file inside DataDir where dev keeps the TOTP
// encryption key it generates when TOTP_ENCRYPTION_KEYS is empty.
const DevTOTPKeyFile = "totp-encryption.key"

// TOTPKeyFile returns DataDir/totp-encryption.key. It cannot fail; the file
// is created (by the server, in dev only) when first needed.
func (c Config) TOTPKeyFile() string {
	return filepath.Join(c.DataDir, DevTOTPKeyFile)
}

// totpEncryptionKeys requires keys outside dev, where a generated key file
// on one machine's disk would be lost with the machine, and with it every
// enrolled authenticator. Problems name entries by position and valid key
// IDs only: anything else in an entry might be key material.
func (l *loader) totpEncryptionKeys(env Env) []sealed.Key {
	v := l.lookup(VarTOTPEncryptionKeys)
	if v == "" {
		if env != EnvDev {
			l.reject(VarTOTPEncryptionKeys, "is required in %s (comma-separated ID:KEY entries, KEY being 32 random bytes in base64, e.g. k1:$(openssl rand -base64 32))", env)
		}
		return nil
	}
	var keys []sealed.Key
	for i, entry := range strings.Split(v, ",") {
		k, err := sealed.ParseKey(entry)
		if err != nil {
			l.reject(VarTOTPEncryptionKeys, "entry %d: %s", i+1, strings.TrimPrefix(err.Error(), "sealed: "))
			continue
		}
		keys = append(keys, k)
	}
	if l.rejected(VarTOTPEncryptionKeys) {
		return nil
	}
	if _, err := sealed.NewKeyring(keys...); err != nil {
		l.reject(VarTOTPEncryptionKeys, "%s", strings.TrimPrefix(err.Error(), "sealed: "))
		return nil
	}
	return keys
}

func keyIDs(keys []sealed.Key) string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID()
	}
	return strings.Join(ids, ",")
}
