-- Modify "courses" table
ALTER TABLE "courses" ADD COLUMN "cover_id" uuid NULL;
-- Create index "courses_cover_id_key" to table: "courses"
CREATE UNIQUE INDEX "courses_cover_id_key" ON "courses" ("cover_id");
-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "avatar_id" uuid NULL;
-- Create index "users_avatar_id_key" to table: "users"
CREATE UNIQUE INDEX "users_avatar_id_key" ON "users" ("avatar_id");
-- Create "assets" table
CREATE TABLE "assets" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "purpose" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'PENDING', "filename" character varying NOT NULL, "declared_type" character varying NOT NULL, "content_type" character varying NOT NULL, "byte_size" bigint NOT NULL, "checksum_sha256" character varying NOT NULL, "object_key" character varying NOT NULL, "width" bigint NULL, "height" bigint NULL, "renditions" jsonb NULL, "rejection_reason" character varying NULL, "failure_reason" character varying NULL, "upload_expires_at" timestamptz NOT NULL, "completed_at" timestamptz NULL, "title" character varying NULL, "attached_at" timestamptz NULL, "course_id" uuid NULL, "lesson_id" uuid NULL, "owner_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "asset_checksum" CHECK (length((checksum_sha256)::text) = 64), CONSTRAINT "asset_course" CHECK ((course_id IS NULL) OR ((purpose)::text = ANY ((ARRAY['COURSE_COVER'::character varying, 'LESSON_ATTACHMENT'::character varying])::text[]))), CONSTRAINT "asset_filename" CHECK ((length((filename)::text) >= 1) AND (length((filename)::text) <= 255)), CONSTRAINT "asset_lesson" CHECK ((lesson_id IS NULL) OR (((purpose)::text = 'LESSON_ATTACHMENT'::text) AND (course_id IS NOT NULL) AND (attached_at IS NOT NULL) AND (title IS NOT NULL))), CONSTRAINT "asset_pixels" CHECK ((COALESCE(width, (1)::bigint) > 0) AND (COALESCE(height, (1)::bigint) > 0)), CONSTRAINT "asset_purpose" CHECK ((purpose)::text = ANY ((ARRAY['COURSE_COVER'::character varying, 'AVATAR'::character varying, 'LESSON_ATTACHMENT'::character varying])::text[])), CONSTRAINT "asset_reason" CHECK (
CASE
    WHEN ((status)::text = 'REJECTED'::text) THEN (rejection_reason IS NOT NULL)
    ELSE (rejection_reason IS NULL)
END AND
CASE
    WHEN ((status)::text = 'FAILED'::text) THEN (failure_reason IS NOT NULL)
    ELSE (failure_reason IS NULL)
END), CONSTRAINT "asset_size" CHECK (byte_size > 0), CONSTRAINT "asset_status" CHECK ((status)::text = ANY ((ARRAY['PENDING'::character varying, 'PROCESSING'::character varying, 'READY'::character varying, 'REJECTED'::character varying, 'FAILED'::character varying])::text[])), CONSTRAINT "asset_title" CHECK ((title IS NULL) OR ((length((title)::text) >= 1) AND (length((title)::text) <= 200))));
-- Create index "asset_course_id" to table: "assets"
CREATE INDEX "asset_course_id" ON "assets" ("course_id");
-- Create index "asset_lesson_id_attached_at" to table: "assets"
CREATE INDEX "asset_lesson_id_attached_at" ON "assets" ("lesson_id", "attached_at");
-- Create index "asset_owner_id_created_at" to table: "assets"
CREATE INDEX "asset_owner_id_created_at" ON "assets" ("owner_id", "created_at");
-- Create index "asset_status_upload_expires_at" to table: "assets"
CREATE INDEX "asset_status_upload_expires_at" ON "assets" ("status", "upload_expires_at");
-- Create index "assets_object_key_key" to table: "assets"
CREATE UNIQUE INDEX "assets_object_key_key" ON "assets" ("object_key");
-- Modify "courses" table
ALTER TABLE "courses" ADD CONSTRAINT "courses_assets_cover_of" FOREIGN KEY ("cover_id") REFERENCES "assets" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Modify "users" table
ALTER TABLE "users" ADD CONSTRAINT "users_assets_avatar_of" FOREIGN KEY ("avatar_id") REFERENCES "assets" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- Modify "assets" table
ALTER TABLE "assets" ADD CONSTRAINT "assets_courses_assets" FOREIGN KEY ("course_id") REFERENCES "courses" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "assets_lessons_attachments" FOREIGN KEY ("lesson_id") REFERENCES "lessons" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "assets_users_assets" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
