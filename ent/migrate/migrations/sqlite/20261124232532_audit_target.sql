-- Create index "auditevent_target_id_created_at" to table: "audit_events"
CREATE INDEX `auditevent_target_id_created_at` ON `audit_events` (`target_id`, `created_at`);
