-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_users" table
CREATE TABLE `new_users` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `display_name` text NOT NULL, `bio` text NOT NULL DEFAULT (''), `role` text NOT NULL DEFAULT ('LEARNER'), `email_verified_at` datetime NULL, `password_hash` text NULL, `totp_secret` text NULL, `totp_pending_secret` text NULL, `totp_last_step` integer NOT NULL DEFAULT (0), `mfa_enabled_at` datetime NULL, `disabled_at` datetime NULL, `avatar_id` uuid NULL, PRIMARY KEY (`id`), CONSTRAINT `users_assets_avatar_of` FOREIGN KEY (`avatar_id`) REFERENCES `assets` (`id`) ON DELETE SET NULL, CONSTRAINT `user_bio` CHECK (length(bio) BETWEEN 0 AND 2000), CONSTRAINT `user_display_name` CHECK (length(display_name) BETWEEN 1 AND 100), CONSTRAINT `user_email_lowercase` CHECK (email = lower(email)), CONSTRAINT `user_mfa` CHECK (mfa_enabled_at IS NULL OR totp_secret IS NOT NULL), CONSTRAINT `user_role` CHECK (role IN ('LEARNER', 'INSTRUCTOR', 'ADMIN')));
-- Copy rows from old table "users" to new temporary table "new_users"
INSERT INTO `new_users` (`id`, `created_at`, `updated_at`, `email`, `display_name`, `bio`, `role`, `email_verified_at`, `password_hash`, `totp_secret`, `totp_pending_secret`, `totp_last_step`, `mfa_enabled_at`, `disabled_at`) SELECT `id`, `created_at`, `updated_at`, `email`, `display_name`, `bio`, `role`, `email_verified_at`, `password_hash`, `totp_secret`, `totp_pending_secret`, `totp_last_step`, `mfa_enabled_at`, `disabled_at` FROM `users`;
-- Drop "users" table after copying rows
DROP TABLE `users`;
-- Rename temporary table "new_users" to "users"
ALTER TABLE `new_users` RENAME TO `users`;
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- Create index "users_avatar_id_key" to table: "users"
CREATE UNIQUE INDEX `users_avatar_id_key` ON `users` (`avatar_id`);
-- Create "new_courses" table
CREATE TABLE `new_courses` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `slug` text NOT NULL, `title` text NOT NULL, `summary` text NOT NULL DEFAULT (''), `description` text NOT NULL DEFAULT (''), `level` text NOT NULL DEFAULT ('BEGINNER'), `language` text NOT NULL DEFAULT ('en'), `status` text NOT NULL DEFAULT ('DRAFT'), `published_at` datetime NULL, `requirements` json NOT NULL, `takeaways` json NOT NULL, `enrollment_count` integer NOT NULL DEFAULT (0), `lesson_count` integer NOT NULL DEFAULT (0), `rating_count` integer NOT NULL DEFAULT (0), `rating_sum` integer NOT NULL DEFAULT (0), `version` integer NOT NULL DEFAULT (1), `rating_average` real NOT NULL DEFAULT (0), `cover_id` uuid NULL, PRIMARY KEY (`id`), CONSTRAINT `courses_assets_cover_of` FOREIGN KEY (`cover_id`) REFERENCES `assets` (`id`) ON DELETE SET NULL, CONSTRAINT `course_counters` CHECK (enrollment_count >= 0 AND lesson_count >= 0 AND rating_count >= 0 AND rating_sum BETWEEN rating_count AND 5 * rating_count), CONSTRAINT `course_description` CHECK (length(description) BETWEEN 0 AND 100000), CONSTRAINT `course_level` CHECK (level IN ('BEGINNER', 'INTERMEDIATE', 'ADVANCED')), CONSTRAINT `course_published` CHECK (status = 'DRAFT' OR published_at IS NOT NULL), CONSTRAINT `course_rating` CHECK (rating_average BETWEEN 0 AND 5), CONSTRAINT `course_slug` CHECK (length(slug) BETWEEN 1 AND 80 AND slug = lower(slug)), CONSTRAINT `course_status` CHECK (status IN ('DRAFT', 'PUBLISHED', 'ARCHIVED')), CONSTRAINT `course_summary` CHECK (length(summary) BETWEEN 0 AND 500), CONSTRAINT `course_title` CHECK (length(title) BETWEEN 1 AND 200), CONSTRAINT `course_version` CHECK (version >= 1));
-- Copy rows from old table "courses" to new temporary table "new_courses"
INSERT INTO `new_courses` (`id`, `created_at`, `updated_at`, `slug`, `title`, `summary`, `description`, `level`, `language`, `status`, `published_at`, `requirements`, `takeaways`, `enrollment_count`, `lesson_count`, `rating_count`, `rating_sum`, `version`, `rating_average`) SELECT `id`, `created_at`, `updated_at`, `slug`, `title`, `summary`, `description`, `level`, `language`, `status`, `published_at`, `requirements`, `takeaways`, `enrollment_count`, `lesson_count`, `rating_count`, `rating_sum`, `version`, `rating_average` FROM `courses`;
-- Drop "courses" table after copying rows
DROP TABLE `courses`;
-- Rename temporary table "new_courses" to "courses"
ALTER TABLE `new_courses` RENAME TO `courses`;
-- Create index "courses_slug_key" to table: "courses"
CREATE UNIQUE INDEX `courses_slug_key` ON `courses` (`slug`);
-- Create index "courses_cover_id_key" to table: "courses"
CREATE UNIQUE INDEX `courses_cover_id_key` ON `courses` (`cover_id`);
-- Create index "course_status_published_at" to table: "courses"
CREATE INDEX `course_status_published_at` ON `courses` (`status`, `published_at`);
-- Create index "course_status_title" to table: "courses"
CREATE INDEX `course_status_title` ON `courses` (`status`, `title`);
-- Create index "course_status_rating_average" to table: "courses"
CREATE INDEX `course_status_rating_average` ON `courses` (`status`, `rating_average`);
-- Create index "course_status_enrollment_count" to table: "courses"
CREATE INDEX `course_status_enrollment_count` ON `courses` (`status`, `enrollment_count`);
-- Create index "course_status_level" to table: "courses"
CREATE INDEX `course_status_level` ON `courses` (`status`, `level`);
-- Create index "course_status_language" to table: "courses"
CREATE INDEX `course_status_language` ON `courses` (`status`, `language`);
-- Create index "course_title" to table: "courses"
CREATE INDEX `course_title` ON `courses` (`title`);
-- Create index "course_summary" to table: "courses"
CREATE INDEX `course_summary` ON `courses` (`summary`);
-- Create "assets" table
CREATE TABLE `assets` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `purpose` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `filename` text NOT NULL, `declared_type` text NOT NULL, `content_type` text NOT NULL, `byte_size` integer NOT NULL, `checksum_sha256` text NOT NULL, `object_key` text NOT NULL, `width` integer NULL, `height` integer NULL, `renditions` json NULL, `rejection_reason` text NULL, `failure_reason` text NULL, `upload_expires_at` datetime NOT NULL, `completed_at` datetime NULL, `title` text NULL, `attached_at` datetime NULL, `course_id` uuid NULL, `lesson_id` uuid NULL, `owner_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `assets_courses_assets` FOREIGN KEY (`course_id`) REFERENCES `courses` (`id`) ON DELETE CASCADE, CONSTRAINT `assets_lessons_attachments` FOREIGN KEY (`lesson_id`) REFERENCES `lessons` (`id`) ON DELETE CASCADE, CONSTRAINT `assets_users_assets` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, CONSTRAINT `asset_checksum` CHECK (length(checksum_sha256) = 64), CONSTRAINT `asset_course` CHECK (course_id IS NULL OR purpose IN ('COURSE_COVER', 'LESSON_ATTACHMENT')), CONSTRAINT `asset_filename` CHECK (length(filename) BETWEEN 1 AND 255), CONSTRAINT `asset_lesson` CHECK (lesson_id IS NULL OR (purpose = 'LESSON_ATTACHMENT' AND course_id IS NOT NULL AND attached_at IS NOT NULL AND title IS NOT NULL)), CONSTRAINT `asset_pixels` CHECK (coalesce(width, 1) > 0 AND coalesce(height, 1) > 0), CONSTRAINT `asset_purpose` CHECK (purpose IN ('COURSE_COVER', 'AVATAR', 'LESSON_ATTACHMENT')), CONSTRAINT `asset_reason` CHECK (CASE WHEN status = 'REJECTED' THEN rejection_reason IS NOT NULL ELSE rejection_reason IS NULL END AND CASE WHEN status = 'FAILED' THEN failure_reason IS NOT NULL ELSE failure_reason IS NULL END), CONSTRAINT `asset_size` CHECK (byte_size > 0), CONSTRAINT `asset_status` CHECK (status IN ('PENDING', 'PROCESSING', 'READY', 'REJECTED', 'FAILED')), CONSTRAINT `asset_title` CHECK (title IS NULL OR length(title) BETWEEN 1 AND 200));
-- Create index "assets_object_key_key" to table: "assets"
CREATE UNIQUE INDEX `assets_object_key_key` ON `assets` (`object_key`);
-- Create index "asset_lesson_id_attached_at" to table: "assets"
CREATE INDEX `asset_lesson_id_attached_at` ON `assets` (`lesson_id`, `attached_at`);
-- Create index "asset_course_id" to table: "assets"
CREATE INDEX `asset_course_id` ON `assets` (`course_id`);
-- Create index "asset_status_upload_expires_at" to table: "assets"
CREATE INDEX `asset_status_upload_expires_at` ON `assets` (`status`, `upload_expires_at`);
-- Create index "asset_owner_id_created_at" to table: "assets"
CREATE INDEX `asset_owner_id_created_at` ON `assets` (`owner_id`, `created_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
