package config

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// keyShown reports whether out shows storageKey in base64 (any dialect
// starts "U1NT"), as raw bytes or as the numbers fmt prints for a []byte.
func keyShown(out string) bool {
	for _, s := range []string{"U1NT", "SSSS", "83 83", "0x53", "5353"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

func TestLoadMediaDefaultsInDev(t *testing.T) {
	for _, tc := range []struct {
		name, httpAddr, apiBaseURL string
	}{
		{"DefaultListener", "", "http://127.0.0.1:8080"},
		{"NamedHost", "localhost:3000", "http://localhost:3000"},
		{"EmptyHost", ":9000", "http://127.0.0.1:9000"},
		{"IPv4Wildcard", "0.0.0.0:8080", "http://127.0.0.1:8080"},
		{"IPv6Wildcard", "[::]:8080", "http://127.0.0.1:8080"},
		{"IPv6Loopback", "[::1]:8081", "http://[::1]:8081"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustLoad(t, map[string]string{"HTTP_ADDR": tc.httpAddr})
			if c.APIBaseURL != tc.apiBaseURL {
				t.Errorf("APIBaseURL = %q, want %q", c.APIBaseURL, tc.apiBaseURL)
			}
			if c.APIBaseURL != c.PublicBaseURL {
				t.Errorf("APIBaseURL %q differs from PublicBaseURL %q; dev points both at the listener", c.APIBaseURL, c.PublicBaseURL)
			}
			s := c.Storage
			if s.SigningKey != nil || s.PublicBaseURL != "" || s.DailyUploadBytes != 524288000 {
				t.Errorf("Storage = %s, want no signing key, no assets URL and 524288000 bytes a day", s)
			}
		})
	}
}

func TestLoadMediaSettings(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb, 0xff}, 16) // '+', '/' in std base64, '-', '_' in URL-safe
	for _, tc := range []struct {
		name  string
		vars  map[string]string
		check func(Config) bool
	}{
		{"KeyStdPadded", map[string]string{"STORAGE_SIGNING_KEY": base64.StdEncoding.EncodeToString(raw)},
			func(c Config) bool { return bytes.Equal(c.Storage.SigningKey, raw) }},
		{"KeyStdRaw", map[string]string{"STORAGE_SIGNING_KEY": base64.RawStdEncoding.EncodeToString(raw)},
			func(c Config) bool { return bytes.Equal(c.Storage.SigningKey, raw) }},
		{"KeyURLSafe", map[string]string{"STORAGE_SIGNING_KEY": base64.URLEncoding.EncodeToString(raw)},
			func(c Config) bool { return bytes.Equal(c.Storage.SigningKey, raw) }},
		{"KeyURLSafeRaw", map[string]string{"STORAGE_SIGNING_KEY": " " + base64.RawURLEncoding.EncodeToString(raw) + "\n"},
			func(c Config) bool { return bytes.Equal(c.Storage.SigningKey, raw) }},
		{"KeyLongerThanNeeded", map[string]string{"STORAGE_SIGNING_KEY": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 64))},
			func(c Config) bool { return len(c.Storage.SigningKey) == 64 }},
		{"KeyInProd", deployed("prod", nil),
			func(c Config) bool { return bytes.Equal(c.Storage.SigningKey, storageKeyBytes) }},
		{"APIBaseURLNormalised", deployed("prod", map[string]string{"API_BASE_URL": "HTTPS://API.Example.com:443/Lectern/"}),
			func(c Config) bool { return c.APIBaseURL == "https://api.example.com/Lectern" }},
		{"APIBaseURLWithPort", deployed("stage", map[string]string{"API_BASE_URL": "https://api.example.com:8443"}),
			func(c Config) bool { return c.APIBaseURL == "https://api.example.com:8443" }},
		{"APIBaseURLHTTPInDev", map[string]string{"API_BASE_URL": "http://api.test:8080/"},
			func(c Config) bool { return c.APIBaseURL == "http://api.test:8080" }},
		{"AssetsTrailingSlashTrimmed", deployed("prod", map[string]string{"ASSETS_PUBLIC_BASE_URL": "https://cdn.example.com/lectern/public/"}),
			func(c Config) bool { return c.Storage.PublicBaseURL == "https://cdn.example.com/lectern/public" }},
		{"AssetsHTTPInDev", map[string]string{"ASSETS_PUBLIC_BASE_URL": "http://127.0.0.1:9000/bucket"},
			func(c Config) bool { return c.Storage.PublicBaseURL == "http://127.0.0.1:9000/bucket" }},
		{"DailyBytesMin", map[string]string{"UPLOAD_DAILY_BYTES": "1048576"},
			func(c Config) bool { return c.Storage.DailyUploadBytes == 1<<20 }},
		{"DailyBytesMax", map[string]string{"UPLOAD_DAILY_BYTES": "1099511627776"},
			func(c Config) bool { return c.Storage.DailyUploadBytes == 1<<40 }},
		// S3 signs with the AWS credentials and serves through its own
		// endpoint: neither the key nor API_BASE_URL is needed.
		{"S3WithPublicBaseInProdNeedsNeither", deployed("prod", map[string]string{"STORAGE_URL": "s3://uploads?region=us-east-1",
			"STORAGE_SIGNING_KEY": "", "API_BASE_URL": "", "ASSETS_PUBLIC_BASE_URL": "https://cdn.example.com"}),
			func(c Config) bool { return c.Storage.SigningKey == nil && c.APIBaseURL == "" }},
		{"S3WithPublicBaseInStageNeedsNeither", deployed("stage", map[string]string{"STORAGE_URL": "s3://uploads?region=us-east-1",
			"STORAGE_SIGNING_KEY": "", "API_BASE_URL": "", "ASSETS_PUBLIC_BASE_URL": "https://cdn.example.com"}),
			func(c Config) bool { return c.Storage.SigningKey == nil && c.APIBaseURL == "" }},
		{"S3AcceptsAnUnusedKey", deployed("prod", map[string]string{"STORAGE_URL": "s3://uploads?region=us-east-1"}),
			func(c Config) bool { return c.Storage.SigningKey == nil && c.APIBaseURL == apiURL }},
		{"S3InDevStillDefaultsAPIBaseURL", map[string]string{"STORAGE_URL": "s3://uploads?region=us-east-1"},
			func(c Config) bool { return c.APIBaseURL == "http://127.0.0.1:8080" }},
		{"FileURLInProd", deployed("prod", map[string]string{"STORAGE_URL": "file:///srv/blobs"}),
			func(c Config) bool {
				return bytes.Equal(c.Storage.SigningKey, storageKeyBytes) && c.APIBaseURL == apiURL
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c := mustLoad(t, tc.vars); !tc.check(c) {
				t.Fatalf("unexpected config %s (api_base_url %q)", c.Storage, c.APIBaseURL)
			}
		})
	}
}

func TestLoadRejectsMediaSettings(t *testing.T) {
	short := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("S"), 31))
	const hint = "at least 32 random bytes in base64, e.g. $(openssl rand -base64 32)"
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"RequiredInStage", deployed("stage", map[string]string{"STORAGE_SIGNING_KEY": "", "API_BASE_URL": ""}), []string{
			"STORAGE_SIGNING_KEY: is required in stage with the file store (STORAGE_URL empty or file://): " + hint,
			"API_BASE_URL: is required in stage with the file store (STORAGE_URL empty or file://), e.g. https://api.example.com",
		}},
		{"RequiredInProdWithFileURL", deployed("prod", map[string]string{"STORAGE_URL": "file:///srv/blobs", "STORAGE_SIGNING_KEY": " ", "API_BASE_URL": ""}), []string{
			"STORAGE_SIGNING_KEY: is required in prod with the file store (STORAGE_URL empty or file://): " + hint,
			"API_BASE_URL: is required in prod with the file store (STORAGE_URL empty or file://), e.g. https://api.example.com",
		}},
		{"KeyNotBase64", map[string]string{"STORAGE_SIGNING_KEY": "U1NTU1NT*U1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1M="}, []string{
			"STORAGE_SIGNING_KEY: is not base64 (standard or URL-safe, padding optional): " + hint,
		}},
		{"KeyWithSpace", map[string]string{"STORAGE_SIGNING_KEY": "U1NTU1NTU1NTU1NTU1NTU1NT U1NTU1NTU1NTU1NTU1NTU1M="}, []string{
			"STORAGE_SIGNING_KEY: is not base64 (standard or URL-safe, padding optional): " + hint,
		}},
		{"Key31Bytes", deployed("prod", map[string]string{"STORAGE_SIGNING_KEY": short}), []string{
			"STORAGE_SIGNING_KEY: is 31 bytes, want " + hint,
		}},
		// A key that is set is checked even on S3, so a later switch to
		// the file store cannot uncover it.
		{"ShortKeyOnS3", deployed("prod", map[string]string{"STORAGE_URL": "s3://uploads?region=us-east-1", "STORAGE_SIGNING_KEY": short}), []string{
			"STORAGE_SIGNING_KEY: is 31 bytes, want " + hint,
		}},
		// A refused STORAGE_URL names no driver, so it adds no problem
		// about what the driver would need.
		{"NoFollowOnFromBadStorageURL", deployed("prod", map[string]string{"STORAGE_URL": "gs://bucket", "STORAGE_SIGNING_KEY": "", "API_BASE_URL": ""}), []string{
			`STORAGE_URL: "gs://bucket" has an unsupported scheme (want file:///ABSOLUTE/PATH or s3://BUCKET?region=REGION)`,
		}},
		{"S3WithoutPublicBaseNeedsAPIBaseURL", deployed("prod", map[string]string{"STORAGE_URL": "s3://uploads?region=us-east-1", "API_BASE_URL": ""}), []string{
			`API_BASE_URL: is required in prod unless ASSETS_PUBLIC_BASE_URL is set: public images are served by this server`,
		}},
		{"APIBaseURLHTTPInProd", deployed("prod", map[string]string{"API_BASE_URL": "http://api.example.com"}), []string{
			`API_BASE_URL: "http://api.example.com" must use https in prod`,
		}},
		{"APIBaseURLHTTPOnS3InStage", deployed("stage", map[string]string{"STORAGE_URL": "s3://uploads?region=us-east-1", "API_BASE_URL": "http://127.0.0.1:8080"}), []string{
			`API_BASE_URL: "http://127.0.0.1:8080" must use https in stage`,
		}},
		{"APIBaseURLQuery", map[string]string{"API_BASE_URL": "https://api.example.com/?v=1"}, []string{
			`API_BASE_URL: "https://api.example.com/?v=1" has a query`,
		}},
		{"APIBaseURLFragment", map[string]string{"API_BASE_URL": "https://api.example.com/#top"}, []string{
			`API_BASE_URL: "https://api.example.com/#top" has a fragment`,
		}},
		{"APIBaseURLUserInfo", map[string]string{"API_BASE_URL": "https://admin:hunter2@api.example.com"}, []string{
			`API_BASE_URL: "[withheld]" has user info`,
		}},
		{"APIBaseURLRelative", map[string]string{"API_BASE_URL": "/api"}, []string{
			`API_BASE_URL: "/api" is not an absolute http:// or https:// URL`,
		}},
		{"AssetsHTTPInProd", deployed("prod", map[string]string{"ASSETS_PUBLIC_BASE_URL": "http://cdn.example.com"}), []string{
			`ASSETS_PUBLIC_BASE_URL: "http://cdn.example.com" must use https in prod`,
		}},
		{"AssetsQuery", map[string]string{"ASSETS_PUBLIC_BASE_URL": "https://cdn.example.com/p?sig=1"}, []string{
			`ASSETS_PUBLIC_BASE_URL: "https://cdn.example.com/p?sig=1" has a query`,
		}},
		{"AssetsFragment", map[string]string{"ASSETS_PUBLIC_BASE_URL": "https://cdn.example.com/p#"}, []string{
			`ASSETS_PUBLIC_BASE_URL: "https://cdn.example.com/p#" has a fragment`,
		}},
		{"AssetsUserInfo", map[string]string{"ASSETS_PUBLIC_BASE_URL": "https://key:hunter2@cdn.example.com"}, []string{
			`ASSETS_PUBLIC_BASE_URL: "[withheld]" has user info`,
		}},
		{"AssetsOtherScheme", map[string]string{"ASSETS_PUBLIC_BASE_URL": "s3://bucket/public"}, []string{
			`ASSETS_PUBLIC_BASE_URL: "s3://bucket/public" is not an absolute http:// or https:// URL`,
		}},
		{"DailyBytesWithUnit", map[string]string{"UPLOAD_DAILY_BYTES": "500MB"}, []string{
			`UPLOAD_DAILY_BYTES: "500MB" is not a whole number of bytes`,
		}},
		{"DailyBytesTooFew", map[string]string{"UPLOAD_DAILY_BYTES": "1048575"}, []string{
			`UPLOAD_DAILY_BYTES: "1048575" is outside 1048576..1099511627776`,
		}},
		{"DailyBytesTooMany", map[string]string{"UPLOAD_DAILY_BYTES": "1099511627777"}, []string{
			`UPLOAD_DAILY_BYTES: "1099511627777" is outside 1048576..1099511627776`,
		}},
		{"DailyBytesNegative", map[string]string{"UPLOAD_DAILY_BYTES": "-1"}, []string{
			`UPLOAD_DAILY_BYTES: "-1" is outside 1048576..1099511627776`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := loadProblems(t, tc.vars)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if s := strings.Join(got, "\n"); keyShown(s) || strings.Contains(s, "hunter2") {
				t.Errorf("a secret leaked into the problems: %s", s)
			}
		})
	}
}

// TestLoadListsMediaProblemsWithOthers: the new settings' problems come in
// the same list as every other, in the order the variables are read.
func TestLoadListsMediaProblemsWithOthers(t *testing.T) {
	_, err := Load(envOf(map[string]string{
		"APP_ENV":                "prod",
		"DATABASE_URL":           pgURL,
		"PUBLIC_BASE_URL":        "http://courses.example.com",
		"TOTP_ENCRYPTION_KEYS":   totpKeys,
		"STORAGE_SIGNING_KEY":    "not base64!" + storageKey,
		"API_BASE_URL":           "http://api.example.com",
		"ASSETS_PUBLIC_BASE_URL": "https://cdn.example.com/?x",
		"UPLOAD_DAILY_BYTES":     "0",
	}))
	want := `config: 6 problems:
  - PUBLIC_BASE_URL: "http://courses.example.com" must use https in prod
  - SMTP_URL: is required in prod (e.g. smtp://user:password@mail.example.com:587)
  - STORAGE_SIGNING_KEY: is not base64 (standard or URL-safe, padding optional): at least 32 random bytes in base64, e.g. $(openssl rand -base64 32)
  - API_BASE_URL: "http://api.example.com" must use https in prod
  - ASSETS_PUBLIC_BASE_URL: "https://cdn.example.com/?x" has a query
  - UPLOAD_DAILY_BYTES: "0" is outside 1048576..1099511627776`
	if err == nil || err.Error() != want {
		t.Fatalf("Load error =\n%v\nwant\n%s", err, want)
	}
}

// TestStorageSigningKeyNeverPrinted: logging or printing a Config, or its
// StorageConfig alone, tells whether the key is set and never shows it.
func TestStorageSigningKeyNeverPrinted(t *testing.T) {
	for _, tc := range []struct {
		name  string
		vars  map[string]string
		state string
	}{
		{"Prod", deployed("prod", nil), "set"},
		{"DevWithKey", map[string]string{"STORAGE_SIGNING_KEY": storageKey}, "set"},
		{"DevWithout", nil, "generated in dev"},
		{"S3WithKey", deployed("prod", map[string]string{"STORAGE_URL": "s3://uploads?region=us-east-1"}), "unused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustLoad(t, tc.vars)
			// A StorageConfig holding the key, whatever Load kept.
			held := c.Storage
			held.SigningKey = storageKeyBytes
			outs := map[string]string{}
			for name, v := range map[string]any{"Config": c, "Storage": held} {
				var jsonLog, textLog bytes.Buffer
				slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("starting", "v", v)
				slog.New(slog.NewTextHandler(&textLog, nil)).Info("starting", "v", v)
				outs[name+" JSON log"], outs[name+" text log"] = jsonLog.String(), textLog.String()
				for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
					outs[name+" "+verb] = fmt.Sprintf(verb, v)
				}
			}
			outs["Config.String"], outs["Storage.String"] = c.String(), held.String()
			for name, out := range outs {
				if keyShown(out) {
					t.Errorf("%s shows the signing key: %s", name, out)
				}
			}
			var line struct {
				Config map[string]any `json:"config"`
			}
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("decode log line: %v", err)
			}
			if got := line.Config["storage_signing_key"]; got != tc.state {
				t.Errorf("storage_signing_key = %v, want %q", got, tc.state)
			}
			if !strings.Contains(c.String(), "storage_signing_key="+tc.state) {
				t.Errorf("String() lacks storage_signing_key=%s: %s", tc.state, c.String())
			}
		})
	}
}

func TestLogValueListsMediaSettings(t *testing.T) {
	c := mustLoad(t, deployed("prod", map[string]string{
		"ASSETS_PUBLIC_BASE_URL": "https://cdn.example.com/public/", "UPLOAD_DAILY_BYTES": "2097152",
	}))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	var line struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("decode log line: %v", err)
	}
	for k, v := range map[string]any{
		"api_base_url":           apiURL,
		"assets_public_base_url": "https://cdn.example.com/public",
		"upload_daily_bytes":     float64(2097152),
		"storage_signing_key":    "set",
	} {
		if line.Config[k] != v {
			t.Errorf("config.%s = %v, want %v", k, line.Config[k], v)
		}
	}
}

func TestStorageKeyFile(t *testing.T) {
	c := mustLoad(t, map[string]string{"DATA_DIR": "/var/lib/lectern"})
	if got := c.StorageKeyFile(); got != filepath.Join("/var/lib/lectern", "storage-signing.key") {
		t.Fatalf("StorageKeyFile() = %q", got)
	}
	if c.StorageKeyFile() == c.TOTPKeyFile() {
		t.Fatal("the storage and TOTP keys share a file")
	}
}
