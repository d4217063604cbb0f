-- Create "exports" table
CREATE TABLE `exports` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `status` text NOT NULL DEFAULT ('QUEUED'), `progress` real NOT NULL DEFAULT (0), `row_count` integer NULL, `total_rows` integer NULL, `object_key` text NULL, `byte_size` integer NULL, `error_code` text NULL, `started_at` datetime NULL, `finished_at` datetime NULL, `expires_at` datetime NULL, `course_id` uuid NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `exports_courses_exports` FOREIGN KEY (`course_id`) REFERENCES `courses` (`id`) ON DELETE CASCADE, CONSTRAINT `exports_users_exports` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, CONSTRAINT `export_course` CHECK (kind <> 'COURSE_LEARNERS_CSV' OR course_id IS NOT NULL), CONSTRAINT `export_failed` CHECK (CASE WHEN status = 'FAILED' THEN error_code IS NOT NULL ELSE error_code IS NULL END), CONSTRAINT `export_file` CHECK (status <> 'SUCCEEDED' OR (object_key IS NOT NULL AND expires_at IS NOT NULL AND row_count IS NOT NULL)), CONSTRAINT `export_kind` CHECK (kind IN ('COURSE_LEARNERS_CSV', 'MY_DATA_JSON')), CONSTRAINT `export_progress` CHECK (progress >= 0 AND progress <= 1), CONSTRAINT `export_status` CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'EXPIRED')));
-- Create index "exports_object_key_key" to table: "exports"
CREATE UNIQUE INDEX `exports_object_key_key` ON `exports` (`object_key`);
-- Create index "export_user_id_created_at" to table: "exports"
CREATE INDEX `export_user_id_created_at` ON `exports` (`user_id`, `created_at`);
-- Create index "export_user_id_status" to table: "exports"
CREATE INDEX `export_user_id_status` ON `exports` (`user_id`, `status`);
-- Create index "export_status_expires_at" to table: "exports"
CREATE INDEX `export_status_expires_at` ON `exports` (`status`, `expires_at`);
-- Create index "export_course_id" to table: "exports"
CREATE INDEX `export_course_id` ON `exports` (`course_id`);
-- Create "idempotency_keys" table
CREATE TABLE `idempotency_keys` (`id` uuid NOT NULL, `scope` text NOT NULL, `key` text NOT NULL, `fingerprint` text NOT NULL, `response_status` integer NOT NULL, `response_headers` json NOT NULL, `response_body` blob NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `user_id` uuid NULL, PRIMARY KEY (`id`), CONSTRAINT `idempotency_keys_users_idempotency_keys` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, CONSTRAINT `idempotency_key_expiry` CHECK (expires_at > created_at), CONSTRAINT `idempotency_key_fingerprint` CHECK (length(fingerprint) = 64), CONSTRAINT `idempotency_key_length` CHECK (length(key) BETWEEN 1 AND 255), CONSTRAINT `idempotency_key_status` CHECK (response_status BETWEEN 100 AND 599));
-- Create index "idempotencykey_scope_key" to table: "idempotency_keys"
CREATE UNIQUE INDEX `idempotencykey_scope_key` ON `idempotency_keys` (`scope`, `key`);
-- Create index "idempotencykey_expires_at" to table: "idempotency_keys"
CREATE INDEX `idempotencykey_expires_at` ON `idempotency_keys` (`expires_at`);
