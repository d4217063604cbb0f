-- Modify "users" table
ALTER TABLE "users" ADD CONSTRAINT "user_mfa" CHECK ((mfa_enabled_at IS NULL) OR (totp_secret IS NOT NULL)), ADD COLUMN "password_hash" character varying NULL, ADD COLUMN "totp_secret" character varying NULL, ADD COLUMN "totp_pending_secret" character varying NULL, ADD COLUMN "totp_last_step" bigint NOT NULL DEFAULT 0, ADD COLUMN "mfa_enabled_at" timestamptz NULL, ADD COLUMN "disabled_at" timestamptz NULL;
-- Create "mail_deliveries" table
CREATE TABLE "mail_deliveries" ("id" uuid NOT NULL, "job_id" bigint NOT NULL, "claimed_at" timestamptz NOT NULL, "sent_at" timestamptz NULL, PRIMARY KEY ("id"));
-- Create index "mail_deliveries_job_id_key" to table: "mail_deliveries"
CREATE UNIQUE INDEX "mail_deliveries_job_id_key" ON "mail_deliveries" ("job_id");
-- Create "throttle_buckets" table
CREATE TABLE "throttle_buckets" ("id" uuid NOT NULL, "key" character varying NOT NULL, "count" bigint NOT NULL, "window_ends_at" timestamptz NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "throttle_bucket_count" CHECK (count >= 0));
-- Create index "throttle_buckets_key_key" to table: "throttle_buckets"
CREATE UNIQUE INDEX "throttle_buckets_key_key" ON "throttle_buckets" ("key");
-- Create index "throttlebucket_window_ends_at" to table: "throttle_buckets"
CREATE INDEX "throttlebucket_window_ends_at" ON "throttle_buckets" ("window_ends_at");
-- Create "api_tokens" table
CREATE TABLE "api_tokens" ("id" uuid NOT NULL, "name" character varying NOT NULL, "token_hash" bytea NOT NULL, "scopes" jsonb NOT NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "last_used_at" timestamptz NULL, "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "api_tokens_users_api_tokens" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "api_token_expiry" CHECK (expires_at > created_at), CONSTRAINT "api_token_hash" CHECK (length(token_hash) = 32), CONSTRAINT "api_token_name" CHECK ((length((name)::text) >= 1) AND (length((name)::text) <= 100)));
-- Create index "api_tokens_token_hash_key" to table: "api_tokens"
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens" ("token_hash");
-- Create index "apitoken_user_id_name" to table: "api_tokens"
CREATE UNIQUE INDEX "apitoken_user_id_name" ON "api_tokens" ("user_id", "name");
-- Create "audit_events" table
CREATE TABLE "audit_events" ("id" uuid NOT NULL, "action" character varying NOT NULL, "target_type" character varying NOT NULL DEFAULT '', "target_id" character varying NOT NULL DEFAULT '', "client_addr" character varying NOT NULL DEFAULT '', "request_id" character varying NOT NULL DEFAULT '', "details" jsonb NULL, "created_at" timestamptz NOT NULL, "actor_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "audit_events_users_audit_events" FOREIGN KEY ("actor_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "audit_event_action" CHECK ((length((action)::text) >= 1) AND (length((action)::text) <= 64)));
-- Create index "auditevent_action_created_at" to table: "audit_events"
CREATE INDEX "auditevent_action_created_at" ON "audit_events" ("action", "created_at");
-- Create index "auditevent_actor_id_created_at" to table: "audit_events"
CREATE INDEX "auditevent_actor_id_created_at" ON "audit_events" ("actor_id", "created_at");
-- Create index "auditevent_created_at" to table: "audit_events"
CREATE INDEX "auditevent_created_at" ON "audit_events" ("created_at");
-- Create "email_tokens" table
CREATE TABLE "email_tokens" ("id" uuid NOT NULL, "purpose" character varying NOT NULL, "email" character varying NOT NULL, "token_hash" bytea NOT NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "used_at" timestamptz NULL, "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "email_tokens_users_email_tokens" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "email_token_expiry" CHECK (expires_at > created_at), CONSTRAINT "email_token_hash" CHECK (length(token_hash) = 32), CONSTRAINT "email_token_purpose" CHECK ((purpose)::text = ANY ((ARRAY['VERIFY_EMAIL'::character varying, 'RESET_PASSWORD'::character varying])::text[])));
-- Create index "email_tokens_token_hash_key" to table: "email_tokens"
CREATE UNIQUE INDEX "email_tokens_token_hash_key" ON "email_tokens" ("token_hash");
-- Create index "emailtoken_expires_at" to table: "email_tokens"
CREATE INDEX "emailtoken_expires_at" ON "email_tokens" ("expires_at");
-- Create index "emailtoken_user_id_purpose" to table: "email_tokens"
CREATE INDEX "emailtoken_user_id_purpose" ON "email_tokens" ("user_id", "purpose");
-- Create "mfa_challenges" table
CREATE TABLE "mfa_challenges" ("id" uuid NOT NULL, "token_hash" bytea NOT NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "failed_attempts" bigint NOT NULL DEFAULT 0, "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "mfa_challenges_users_mfa_challenges" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "mfa_challenge_attempts" CHECK (failed_attempts >= 0), CONSTRAINT "mfa_challenge_expiry" CHECK (expires_at > created_at), CONSTRAINT "mfa_challenge_hash" CHECK (length(token_hash) = 32));
-- Create index "mfa_challenges_token_hash_key" to table: "mfa_challenges"
CREATE UNIQUE INDEX "mfa_challenges_token_hash_key" ON "mfa_challenges" ("token_hash");
-- Create index "mfachallenge_expires_at" to table: "mfa_challenges"
CREATE INDEX "mfachallenge_expires_at" ON "mfa_challenges" ("expires_at");
-- Create index "mfachallenge_user_id" to table: "mfa_challenges"
CREATE INDEX "mfachallenge_user_id" ON "mfa_challenges" ("user_id");
-- Create "recovery_codes" table
CREATE TABLE "recovery_codes" ("id" uuid NOT NULL, "code_hash" bytea NOT NULL, "created_at" timestamptz NOT NULL, "used_at" timestamptz NULL, "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "recovery_codes_users_recovery_codes" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "recovery_code_hash" CHECK (length(code_hash) = 32));
-- Create index "recoverycode_user_id_code_hash" to table: "recovery_codes"
CREATE UNIQUE INDEX "recoverycode_user_id_code_hash" ON "recovery_codes" ("user_id", "code_hash");
-- Create "sessions" table
CREATE TABLE "sessions" ("id" uuid NOT NULL, "token_hash" bytea NOT NULL, "transport" character varying NOT NULL, "mfa" boolean NOT NULL DEFAULT false, "created_at" timestamptz NOT NULL, "last_seen_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "client_addr" character varying NOT NULL DEFAULT '', "user_agent" character varying NOT NULL DEFAULT '', "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "sessions_users_sessions" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "session_expiry" CHECK (expires_at > created_at), CONSTRAINT "session_token" CHECK (length(token_hash) = 32), CONSTRAINT "session_transport" CHECK ((transport)::text = ANY ((ARRAY['COOKIE'::character varying, 'TOKEN'::character varying])::text[])));
-- Create index "session_expires_at" to table: "sessions"
CREATE INDEX "session_expires_at" ON "sessions" ("expires_at");
-- Create index "session_user_id_created_at" to table: "sessions"
CREATE INDEX "session_user_id_created_at" ON "sessions" ("user_id", "created_at");
-- Create index "sessions_token_hash_key" to table: "sessions"
CREATE UNIQUE INDEX "sessions_token_hash_key" ON "sessions" ("token_hash");
