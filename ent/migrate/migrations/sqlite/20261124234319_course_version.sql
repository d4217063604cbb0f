-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_courses" table
CREATE TABLE `new_courses` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `slug` text NOT NULL, `title` text NOT NULL, `summary` text NOT NULL DEFAULT (''), `description` text NOT NULL DEFAULT (''), `level` text NOT NULL DEFAULT ('BEGINNER'), `language` text NOT NULL DEFAULT ('en'), `status` text NOT NULL DEFAULT ('DRAFT'), `published_at` datetime NULL, `requirements` json NOT NULL, `takeaways` json NOT NULL, `enrollment_count` integer NOT NULL DEFAULT (0), `lesson_count` integer NOT NULL DEFAULT (0), `rating_count` integer NOT NULL DEFAULT (0), `rating_sum` integer NOT NULL DEFAULT (0), `version` integer NOT NULL DEFAULT (1), `rating_average` real NOT NULL DEFAULT (0), PRIMARY KEY (`id`), CONSTRAINT `course_counters` CHECK (enrollment_count >= 0 AND lesson_count >= 0 AND rating_count >= 0 AND rating_sum BETWEEN rating_count AND 5 * rating_count), CONSTRAINT `course_description` CHECK (length(description) BETWEEN 0 AND 100000), CONSTRAINT `course_level` CHECK (level IN ('BEGINNER', 'INTERMEDIATE', 'ADVANCED')), CONSTRAINT `course_published` CHECK (status = 'DRAFT' OR published_at IS NOT NULL), CONSTRAINT `course_rating` CHECK (rating_average BETWEEN 0 AND 5), CONSTRAINT `course_slug` CHECK (length(slug) BETWEEN 1 AND 80 AND slug = lower(slug)), CONSTRAINT `course_status` CHECK (status IN ('DRAFT', 'PUBLISHED', 'ARCHIVED')), CONSTRAINT `course_summary` CHECK (length(summary) BETWEEN 0 AND 500), CONSTRAINT `course_title` CHECK (length(title) BETWEEN 1 AND 200), CONSTRAINT `course_version` CHECK (version >= 1));
-- Copy rows from old table "courses" to new temporary table "new_courses"
INSERT INTO `new_courses` (`id`, `created_at`, `updated_at`, `slug`, `title`, `summary`, `description`, `level`, `language`, `status`, `published_at`, `requirements`, `takeaways`, `enrollment_count`, `lesson_count`, `rating_count`, `rating_sum`, `rating_average`) SELECT `id`, `created_at`, `updated_at`, `slug`, `title`, `summary`, `description`, `level`, `language`, `status`, `published_at`, `requirements`, `takeaways`, `enrollment_count`, `lesson_count`, `rating_count`, `rating_sum`, `rating_average` FROM `courses`;
-- Drop "courses" table after copying rows
DROP TABLE `courses`;
-- Rename temporary table "new_courses" to "courses"
ALTER TABLE `new_courses` RENAME TO `courses`;
-- Create index "courses_slug_key" to table: "courses"
CREATE UNIQUE INDEX `courses_slug_key` ON `courses` (`slug`);
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
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
