-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_users" table
CREATE TABLE `new_users` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `display_name` text NOT NULL, `bio` text NOT NULL DEFAULT (''), `role` text NOT NULL DEFAULT ('LEARNER'), `email_verified_at` datetime NULL, `password_hash` text NULL, `totp_secret` text NULL, `totp_pending_secret` text NULL, `totp_last_step` integer NOT NULL DEFAULT (0), `mfa_enabled_at` datetime NULL, `disabled_at` datetime NULL, PRIMARY KEY (`id`), CONSTRAINT `user_bio` CHECK (length(bio) BETWEEN 0 AND 2000), CONSTRAINT `user_display_name` CHECK (length(display_name) BETWEEN 1 AND 100), CONSTRAINT `user_email_lowercase` CHECK (email = lower(email)), CONSTRAINT `user_mfa` CHECK (mfa_enabled_at IS NULL OR totp_secret IS NOT NULL), CONSTRAINT `user_role` CHECK (role IN ('LEARNER', 'INSTRUCTOR', 'ADMIN')));
-- Copy rows from old table "users" to new temporary table "new_users"
INSERT INTO `new_users` (`id`, `created_at`, `updated_at`, `email`, `display_name`, `bio`, `role`, `email_verified_at`) SELECT `id`, `created_at`, `updated_at`, `email`, `display_name`, `bio`, `role`, `email_verified_at` FROM `users`;
-- Drop "users" table after copying rows
DROP TABLE `users`;
-- Rename temporary table "new_users" to "users"
ALTER TABLE `new_users` RENAME TO `users`;
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- Create "api_tokens" table
CREATE TABLE `api_tokens` (`id` uuid NOT NULL, `name` text NOT NULL, `token_hash` blob NOT NULL, `scopes` json NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `last_used_at` datetime NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `api_tokens_users_api_tokens` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, CONSTRAINT `api_token_expiry` CHECK (expires_at > created_at), CONSTRAINT `api_token_hash` CHECK (length(token_hash) = 32), CONSTRAINT `api_token_name` CHECK (length(name) BETWEEN 1 AND 100));
-- Create index "api_tokens_token_hash_key" to table: "api_tokens"
CREATE UNIQUE INDEX `api_tokens_token_hash_key` ON `api_tokens` (`token_hash`);
-- Create index "apitoken_user_id_name" to table: "api_tokens"
CREATE UNIQUE INDEX `apitoken_user_id_name` ON `api_tokens` (`user_id`, `name`);
-- Create "audit_events" table
CREATE TABLE `audit_events` (`id` uuid NOT NULL, `action` text NOT NULL, `target_type` text NOT NULL DEFAULT (''), `target_id` text NOT NULL DEFAULT (''), `client_addr` text NOT NULL DEFAULT (''), `request_id` text NOT NULL DEFAULT (''), `details` json NULL, `created_at` datetime NOT NULL, `actor_id` uuid NULL, PRIMARY KEY (`id`), CONSTRAINT `audit_events_users_audit_events` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `audit_event_action` CHECK (length(action) BETWEEN 1 AND 64));
-- Create index "auditevent_created_at" to table: "audit_events"
CREATE INDEX `auditevent_created_at` ON `audit_events` (`created_at`);
-- Create index "auditevent_actor_id_created_at" to table: "audit_events"
CREATE INDEX `auditevent_actor_id_created_at` ON `audit_events` (`actor_id`, `created_at`);
-- Create index "auditevent_action_created_at" to table: "audit_events"
CREATE INDEX `auditevent_action_created_at` ON `audit_events` (`action`, `created_at`);
-- Create "email_tokens" table
CREATE TABLE `email_tokens` (`id` uuid NOT NULL, `purpose` text NOT NULL, `email` text NOT NULL, `token_hash` blob NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `used_at` datetime NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `email_tokens_users_email_tokens` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, CONSTRAINT `email_token_expiry` CHECK (expires_at > created_at), CONSTRAINT `email_token_hash` CHECK (length(token_hash) = 32), CONSTRAINT `email_token_purpose` CHECK (purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD')));
-- Create index "email_tokens_token_hash_key" to table: "email_tokens"
CREATE UNIQUE INDEX `email_tokens_token_hash_key` ON `email_tokens` (`token_hash`);
-- Create index "emailtoken_user_id_purpose" to table: "email_tokens"
CREATE INDEX `emailtoken_user_id_purpose` ON `email_tokens` (`user_id`, `purpose`);
-- Create index "emailtoken_expires_at" to table: "email_tokens"
CREATE INDEX `emailtoken_expires_at` ON `email_tokens` (`expires_at`);
-- Create "mfa_challenges" table
CREATE TABLE `mfa_challenges` (`id` uuid NOT NULL, `token_hash` blob NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `failed_attempts` integer NOT NULL DEFAULT (0), `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `mfa_challenges_users_mfa_challenges` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, CONSTRAINT `mfa_challenge_attempts` CHECK (failed_attempts >= 0), CONSTRAINT `mfa_challenge_expiry` CHECK (expires_at > created_at), CONSTRAINT `mfa_challenge_hash` CHECK (length(token_hash) = 32));
-- Create index "mfa_challenges_token_hash_key" to table: "mfa_challenges"
CREATE UNIQUE INDEX `mfa_challenges_token_hash_key` ON `mfa_challenges` (`token_hash`);
-- Create index "mfachallenge_user_id" to table: "mfa_challenges"
CREATE INDEX `mfachallenge_user_id` ON `mfa_challenges` (`user_id`);
-- Create index "mfachallenge_expires_at" to table: "mfa_challenges"
CREATE INDEX `mfachallenge_expires_at` ON `mfa_challenges` (`expires_at`);
-- Create "mail_deliveries" table
CREATE TABLE `mail_deliveries` (`id` uuid NOT NULL, `job_id` integer NOT NULL, `claimed_at` datetime NOT NULL, `sent_at` datetime NULL, PRIMARY KEY (`id`));
-- Create index "mail_deliveries_job_id_key" to table: "mail_deliveries"
CREATE UNIQUE INDEX `mail_deliveries_job_id_key` ON `mail_deliveries` (`job_id`);
-- Create "recovery_codes" table
CREATE TABLE `recovery_codes` (`id` uuid NOT NULL, `code_hash` blob NOT NULL, `created_at` datetime NOT NULL, `used_at` datetime NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `recovery_codes_users_recovery_codes` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, CONSTRAINT `recovery_code_hash` CHECK (length(code_hash) = 32));
-- Create index "recoverycode_user_id_code_hash" to table: "recovery_codes"
CREATE UNIQUE INDEX `recoverycode_user_id_code_hash` ON `recovery_codes` (`user_id`, `code_hash`);
-- Create "sessions" table
CREATE TABLE `sessions` (`id` uuid NOT NULL, `token_hash` blob NOT NULL, `transport` text NOT NULL, `mfa` bool NOT NULL DEFAULT (false), `created_at` datetime NOT NULL, `last_seen_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `client_addr` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sessions_users_sessions` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, CONSTRAINT `session_expiry` CHECK (expires_at > created_at), CONSTRAINT `session_token` CHECK (length(token_hash) = 32), CONSTRAINT `session_transport` CHECK (transport IN ('COOKIE', 'TOKEN')));
-- Create index "sessions_token_hash_key" to table: "sessions"
CREATE UNIQUE INDEX `sessions_token_hash_key` ON `sessions` (`token_hash`);
-- Create index "session_user_id_created_at" to table: "sessions"
CREATE INDEX `session_user_id_created_at` ON `sessions` (`user_id`, `created_at`);
-- Create index "session_expires_at" to table: "sessions"
CREATE INDEX `session_expires_at` ON `sessions` (`expires_at`);
-- Create "throttle_buckets" table
CREATE TABLE `throttle_buckets` (`id` uuid NOT NULL, `key` text NOT NULL, `count` integer NOT NULL, `window_ends_at` datetime NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `throttle_bucket_count` CHECK (count >= 0));
-- Create index "throttle_buckets_key_key" to table: "throttle_buckets"
CREATE UNIQUE INDEX `throttle_buckets_key_key` ON `throttle_buckets` (`key`);
-- Create index "throttlebucket_window_ends_at" to table: "throttle_buckets"
CREATE INDEX `throttlebucket_window_ends_at` ON `throttle_buckets` (`window_ends_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
