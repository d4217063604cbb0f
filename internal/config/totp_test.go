package config

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// k2Key is key material for a second key, 32 bytes 0x22; "Iii" is how its
// base64 starts, which no problem or log line may contain.
var k2Key = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x22}, 32))

func TestLoadTOTPEncryptionKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		ids  []string
	}{
		{"DevWithout", nil, nil},
		{"DevWith", map[string]string{"TOTP_ENCRYPTION_KEYS": totpKeys}, []string{"k1"}},
		{"ProdRotating", deployed("prod", map[string]string{"TOTP_ENCRYPTION_KEYS": " k2:" + k2Key + " , " + totpKeys + " "}), []string{"k2", "k1"}},
		{"URLSafeUnpadded", map[string]string{"TOTP_ENCRYPTION_KEYS": "k2:" + base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))}, []string{"k2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustLoad(t, tc.vars)
			var ids []string
			for _, k := range c.TOTPEncryptionKeys {
				ids = append(ids, k.ID())
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.ids) {
				t.Fatalf("key IDs %v, want %v", ids, tc.ids)
			}
		})
	}
}

func TestLoadRejectsTOTPEncryptionKeys(t *testing.T) {
	short := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x22}, 16))
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"RequiredInStage", deployed("stage", map[string]string{"TOTP_ENCRYPTION_KEYS": ""}),
			[]string{"TOTP_ENCRYPTION_KEYS: is required in stage (comma-separated ID:KEY entries, KEY being 32 random bytes in base64, e.g. k1:$(openssl rand -base64 32))"}},
		{"RequiredInProd", deployed("prod", map[string]string{"TOTP_ENCRYPTION_KEYS": " "}),
			[]string{"TOTP_ENCRYPTION_KEYS: is required in prod (comma-separated ID:KEY entries, KEY being 32 random bytes in base64, e.g. k1:$(openssl rand -base64 32))"}},
		{"EveryBadEntry", map[string]string{"TOTP_ENCRYPTION_KEYS": k2Key + ",k1:" + short + ",bad id:" + k2Key + ",k3:not*base64," + totpKeys + ","},
			[]string{
				"TOTP_ENCRYPTION_KEYS: entry 1: key is not written as ID:KEY",
				"TOTP_ENCRYPTION_KEYS: entry 2: key is 16 bytes, want 32",
				"TOTP_ENCRYPTION_KEYS: entry 3: key ID must be 1 to 32 letters, digits, '-', '_' or '.'",
				"TOTP_ENCRYPTION_KEYS: entry 4: key is not base64",
				"TOTP_ENCRYPTION_KEYS: entry 6: key is not written as ID:KEY",
			}},
		{"Swapped", map[string]string{"TOTP_ENCRYPTION_KEYS": k2Key + ":k2"},
			[]string{"TOTP_ENCRYPTION_KEYS: entry 1: key ID must be 1 to 32 letters, digits, '-', '_' or '.'"}},
		{"PartOfAKeyWhereIDShouldBe", map[string]string{"TOTP_ENCRYPTION_KEYS": k2Key[:10] + ":k2"},
			[]string{"TOTP_ENCRYPTION_KEYS: entry 1: key is 1 bytes, want 32"}},
		{"DuplicateID", map[string]string{"TOTP_ENCRYPTION_KEYS": totpKeys + ",k1:" + k2Key},
			[]string{`TOTP_ENCRYPTION_KEYS: key ID "k1" is used twice`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := loadProblems(t, tc.vars)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for _, p := range got {
				if strings.Contains(p, "Iii") || strings.Contains(p, "CwsL") {
					t.Errorf("problem shows key material: %s", p)
				}
			}
		})
	}
}

// TestTOTPKeysNeverPrinted: logging or printing a Config shows the key IDs,
// never the keys.
func TestTOTPKeysNeverPrinted(t *testing.T) {
	c := mustLoad(t, deployed("prod", map[string]string{"TOTP_ENCRYPTION_KEYS": "k2:" + k2Key + "," + totpKeys}))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	outs := map[string]string{"LogValue": buf.String(), "String": c.String(), "%v": fmt.Sprint(c),
		"%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c)}
	for name, out := range outs {
		if strings.Contains(out, "Iii") || strings.Contains(out, "CwsL") || strings.Contains(out, "34 34") || strings.Contains(out, "11 11") {
			t.Errorf("%s shows key material: %s", name, out)
		}
	}
	if !strings.Contains(buf.String(), `"totp_encryption_keys":"k2,k1"`) || !strings.Contains(c.String(), "totp_encryption_keys=k2,k1") {
		t.Errorf("the key IDs are not logged:\n%s\n%s", buf.String(), c.String())
	}
}

func TestTOTPKeyFile(t *testing.T) {
	c := mustLoad(t, map[string]string{"DATA_DIR": "/var/lib/lectern"})
	if got := c.TOTPKeyFile(); got != filepath.Join("/var/lib/lectern", "totp-encryption.key") {
		t.Fatalf("TOTPKeyFile() = %q", got)
	}
}
