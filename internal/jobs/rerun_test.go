package jobs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"lectern/ent"
	"lectern/ent/asset"
	"lectern/ent/session"
	"lectern/internal/app"
	"lectern/internal/auth"
	"lectern/internal/config"
	"lectern/internal/database"
	"lectern/internal/jobs"
	lmail "lectern/internal/mail"
	"lectern/internal/mail/mailtest"
	"lectern/internal/media"
	"lectern/internal/storage"
	"lectern/internal/testenv"
	"lectern/internal/viewer"
)

// River delivers a job at least once: a process that dies after the work
// but before recording the job done leaves it to be worked again. These
// tests work the same job twice, the second time as the next attempt, and
// check that its effect happened once. (reconcile_counters:
// TestReconcileCounters/SecondRunRepairsNothing.)

// twice works job with w two times, as attempts 1 and 2, and fails the
// test if either attempt fails.
func twice[A river.JobArgs](t *testing.T, w river.Worker[A], args A) {
	t.Helper()
	job := &river.Job[A]{JobRow: &rivertype.JobRow{ID: 90001, Kind: args.Kind(), MaxAttempts: 5, CreatedAt: time.Now()}, Args: args}
	for attempt := 1; attempt <= 2; attempt++ {
		job.Attempt = attempt
		if err := w.Work(context.Background(), job); err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestEmailJobTwiceSendsOnce(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		smtp := mailtest.Start(t)
		sender, err := lmail.NewSMTPSender(smtp.URL("smtp"), lmail.WithTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		composer := &testComposer{}
		u := testenv.CreateAccount(t, db, testenv.Account{VerifiedAt: time.Now()})
		twice(t, jobs.NewEmailWorker(db, composer, sender, discard()), verification(u.ID))
		if got := smtp.Messages(); len(got) != 1 {
			t.Errorf("%d messages for one job worked twice, want 1", len(got))
		}
		if n := composer.calls.Load(); n != 1 {
			t.Errorf("composed %d times, want once (the second attempt finds the claim first)", n)
		}
	})
}

// recordingCleaner keeps what each pass of c deleted.
type recordingCleaner struct {
	c      jobs.Cleaner
	passes []map[string]int
}

func (r *recordingCleaner) Cleanup(ctx context.Context) (map[string]int, error) {
	deleted, err := r.c.Cleanup(ctx)
	r.passes = append(r.passes, deleted)
	return deleted, err
}

func TestCleanupJobTwiceDeletesOnce(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		ctx := viewer.SystemContext(context.Background())
		now := time.Now().UTC()
		u := testenv.CreateAccount(t, db, testenv.Account{VerifiedAt: now})
		mk := func(name string, lastSeen time.Time) uuid.UUID {
			h := sha256.Sum256([]byte(name + u.ID.String()))
			return db.Ent.Session.Create().SetUserID(u.ID).SetTokenHash(h[:]).SetTransport(session.TransportCOOKIE).
				SetCreatedAt(now.Add(-time.Hour)).SetLastSeenAt(lastSeen).SetExpiresAt(now.Add(time.Hour)).SaveX(ctx).ID
		}
		live := mk("live", now.Add(-time.Minute))
		mk("idle", now.Add(-2*time.Hour))
		rec := &recordingCleaner{c: auth.NewJanitor(db, 30*time.Minute, nil)}
		twice(t, jobs.NewCleanupWorker(rec, discard()), jobs.CleanupArgs{})
		if len(rec.passes) != 2 || rec.passes[0]["sessions"] != 1 {
			t.Fatalf("passes %v, want two, the first deleting the idle session", rec.passes)
		}
		for kind, n := range rec.passes[1] {
			if n != 0 {
				t.Errorf("the second pass deleted %d %s", n, kind)
			}
		}
		if ids := db.Ent.Session.Query().IDsX(ctx); !slices.Equal(ids, []uuid.UUID{live}) {
			t.Errorf("sessions %v, want only the live one", ids)
		}
	})
}

// mediaEnv is the media service over a file store in a temporary
// directory, with an account owning the assets.
type mediaEnv struct {
	db    *database.DB
	store *storage.Store
	svc   *media.Service
	queue *jobs.Queue
	owner *ent.User
}

func newMediaEnv(t *testing.T, db *database.DB) *mediaEnv {
	t.Helper()
	cfg := config.Config{HTTPAddr: "127.0.0.1:8080", Storage: config.StorageConfig{Driver: config.StorageFile, Dir: t.TempDir()}}
	store, err := app.OpenStore(context.Background(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	q, err := jobs.New(db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &mediaEnv{db: db, store: store, queue: q, owner: testenv.CreateAccount(t, db, testenv.Account{VerifiedAt: time.Now()}),
		svc: media.New(db, store, q, media.Config{DailyBytes: 1 << 30, PublicBaseURL: "http://127.0.0.1:8080/v1/assets"}, nil, discard())}
}

// put stores data under a new upload key and returns the key.
func (e *mediaEnv) put(t *testing.T, data []byte, contentType string) string {
	t.Helper()
	key := storage.NewKey("uploads")
	if err := e.store.Put(context.Background(), key, bytes.NewReader(data), contentType); err != nil {
		t.Fatal(err)
	}
	return key
}

// asset stores the row of an avatar upload of data under key.
func (e *mediaEnv) asset(t *testing.T, key string, data []byte, status asset.Status, created time.Time) *ent.Asset {
	t.Helper()
	sum := sha256.Sum256(data)
	return e.db.Ent.Asset.Create().SetOwnerID(e.owner.ID).SetPurpose(asset.PurposeAVATAR).SetStatus(status).
		SetFilename("photo.webp").SetDeclaredType("image/webp").SetContentType("image/webp").
		SetByteSize(int64(len(data))).SetChecksumSha256(hex.EncodeToString(sum[:])).SetObjectKey(key).
		SetUploadExpiresAt(created.Add(time.Hour)).SetCreatedAt(created).SetUpdatedAt(created).
		SaveX(viewer.SystemContext(context.Background()))
}

// keys lists the objects under prefix.
func (e *mediaEnv) keys(t *testing.T, prefix string) []string {
	t.Helper()
	var out []string
	for o, err := range e.store.List(context.Background(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o.Key)
	}
	return out
}

func (e *mediaEnv) reload(t *testing.T, id uuid.UUID) *ent.Asset {
	t.Helper()
	return e.db.Ent.Asset.GetX(viewer.SystemContext(context.Background()), id)
}

// imageProcessor runs the media service's processing (jobs.ImageProcessor).
type imageProcessor struct{ svc *media.Service }

func (p imageProcessor) ProcessImage(ctx context.Context, id uuid.UUID, final bool) error {
	return p.svc.Process(ctx, id, final)
}

func TestProcessImageJobTwiceWritesOnce(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := newMediaEnv(t, db)
		data, err := os.ReadFile(filepath.Join("..", "media", "testdata", "blue-purple-pink.lossy.webp"))
		if err != nil {
			t.Fatal(err)
		}
		key := e.put(t, data, "image/webp")
		a := e.asset(t, key, data, asset.StatusPROCESSING, time.Now())
		w := jobs.NewProcessImageWorker(imageProcessor{e.svc})
		prefix := "public/" + a.ID.String() + "/"

		twice(t, w, jobs.ProcessImageArgs{AssetID: a.ID})
		done := e.reload(t, a.ID)
		if done.Status != asset.StatusREADY || len(done.Renditions) == 0 {
			t.Fatalf("asset %s with %d renditions, want READY with some", done.Status, len(done.Renditions))
		}
		files := e.keys(t, prefix)
		if len(files) != len(done.Renditions) {
			t.Errorf("%d files for %d renditions: %v", len(files), len(done.Renditions), files)
		}

		// A crash after the renditions were stored but before they were
		// recorded: the next attempt renders the same bytes to the same
		// keys, so it overwrites them rather than adding copies.
		db.Ent.Asset.UpdateOneID(a.ID).SetStatus(asset.StatusPROCESSING).ClearRenditions().ClearWidth().ClearHeight().
			ExecX(viewer.SystemContext(context.Background()))
		if err := e.store.Put(context.Background(), key, bytes.NewReader(data), "image/webp"); err != nil {
			t.Fatal(err)
		}
		twice(t, w, jobs.ProcessImageArgs{AssetID: a.ID})
		again := e.reload(t, a.ID)
		if again.Status != asset.StatusREADY || !slices.Equal(e.keys(t, prefix), files) {
			t.Errorf("after a crashed attempt and two more: %s with files %v, want READY with %v", again.Status, e.keys(t, prefix), files)
		}
		if ok, _ := e.store.Exists(context.Background(), key); ok {
			t.Error("the original upload is still stored")
		}
	})
}

func TestDeleteObjectsJobTwiceIsHarmless(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := newMediaEnv(t, db)
		gone1, gone2, kept := e.put(t, []byte("one"), "text/plain"), e.put(t, []byte("two"), "text/plain"), e.put(t, []byte("three"), "text/plain")
		twice(t, jobs.NewDeleteObjectsWorker(e.store), jobs.DeleteObjectsArgs{Keys: []string{gone1, gone2, "uploads/never-stored"}})
		if got := e.keys(t, "uploads/"); !slices.Equal(got, []string{kept}) {
			t.Errorf("objects left %v, want only %s", got, kept)
		}
	})
}

func TestMediaSweepJobTwiceSweepsOnce(t *testing.T) {
	testenv.Each(t, func(t *testing.T, db *database.DB) {
		e := newMediaEnv(t, db)
		old := time.Now().Add(-72 * time.Hour)
		stale := e.asset(t, e.put(t, []byte("never used"), "text/plain"), []byte("never used"), asset.StatusPENDING, old)
		fresh := e.asset(t, e.put(t, []byte("in flight"), "text/plain"), []byte("in flight"), asset.StatusPENDING, time.Now())
		rec := &recordingCleaner{c: e.svc}
		twice(t, jobs.NewMediaSweepWorker(rec, discard()), jobs.MediaSweepArgs{})
		if rec.passes[0]["uploads"] != 1 {
			t.Errorf("the first pass deleted %v, want the stale upload", rec.passes[0])
		}
		for kind, n := range rec.passes[1] {
			if n != 0 {
				t.Errorf("the second pass deleted %d %s", n, kind)
			}
		}
		ids := db.Ent.Asset.Query().IDsX(viewer.SystemContext(context.Background()))
		if !slices.Equal(ids, []uuid.UUID{fresh.ID}) {
			t.Errorf("assets %v, want only %s (the stale %s swept)", ids, fresh.ID, stale.ID)
		}
		var n int
		if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'delete_objects'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d delete_objects jobs for one swept upload, want 1", n)
		}
	})
}
