-- Create "exports" table
CREATE TABLE "exports" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "kind" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'QUEUED', "progress" double precision NOT NULL DEFAULT 0, "row_count" bigint NULL, "total_rows" bigint NULL, "object_key" character varying NULL, "byte_size" bigint NULL, "error_code" character varying NULL, "started_at" timestamptz NULL, "finished_at" timestamptz NULL, "expires_at" timestamptz NULL, "course_id" uuid NULL, "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "exports_courses_exports" FOREIGN KEY ("course_id") REFERENCES "courses" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "exports_users_exports" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "export_course" CHECK (((kind)::text <> 'COURSE_LEARNERS_CSV'::text) OR (course_id IS NOT NULL)), CONSTRAINT "export_failed" CHECK (
CASE
    WHEN ((status)::text = 'FAILED'::text) THEN (error_code IS NOT NULL)
    ELSE (error_code IS NULL)
END), CONSTRAINT "export_file" CHECK (((status)::text <> 'SUCCEEDED'::text) OR ((object_key IS NOT NULL) AND (expires_at IS NOT NULL) AND (row_count IS NOT NULL))), CONSTRAINT "export_kind" CHECK ((kind)::text = ANY ((ARRAY['COURSE_LEARNERS_CSV'::character varying, 'MY_DATA_JSON'::character varying])::text[])), CONSTRAINT "export_progress" CHECK ((progress >= (0)::double precision) AND (progress <= (1)::double precision)), CONSTRAINT "export_status" CHECK ((status)::text = ANY ((ARRAY['QUEUED'::character varying, 'RUNNING'::character varying, 'SUCCEEDED'::character varying, 'FAILED'::character varying, 'EXPIRED'::character varying])::text[])));
-- Create index "export_course_id" to table: "exports"
CREATE INDEX "export_course_id" ON "exports" ("course_id");
-- Create index "export_status_expires_at" to table: "exports"
CREATE INDEX "export_status_expires_at" ON "exports" ("status", "expires_at");
-- Create index "export_user_id_created_at" to table: "exports"
CREATE INDEX "export_user_id_created_at" ON "exports" ("user_id", "created_at");
-- Create index "export_user_id_status" to table: "exports"
CREATE INDEX "export_user_id_status" ON "exports" ("user_id", "status");
-- Create index "exports_object_key_key" to table: "exports"
CREATE UNIQUE INDEX "exports_object_key_key" ON "exports" ("object_key");
-- Create "idempotency_keys" table
CREATE TABLE "idempotency_keys" ("id" uuid NOT NULL, "scope" character varying NOT NULL, "key" character varying NOT NULL, "fingerprint" character varying NOT NULL, "response_status" bigint NOT NULL, "response_headers" jsonb NOT NULL, "response_body" bytea NOT NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "user_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "idempotency_keys_users_idempotency_keys" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "idempotency_key_expiry" CHECK (expires_at > created_at), CONSTRAINT "idempotency_key_fingerprint" CHECK (length((fingerprint)::text) = 64), CONSTRAINT "idempotency_key_length" CHECK ((length((key)::text) >= 1) AND (length((key)::text) <= 255)), CONSTRAINT "idempotency_key_status" CHECK ((response_status >= 100) AND (response_status <= 599)));
-- Create index "idempotencykey_expires_at" to table: "idempotency_keys"
CREATE INDEX "idempotencykey_expires_at" ON "idempotency_keys" ("expires_at");
-- Create index "idempotencykey_scope_key" to table: "idempotency_keys"
CREATE UNIQUE INDEX "idempotencykey_scope_key" ON "idempotency_keys" ("scope", "key");
