-- Create "courses" table
CREATE TABLE `courses` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `slug` text NOT NULL, `title` text NOT NULL, `summary` text NOT NULL DEFAULT (''), `description` text NOT NULL DEFAULT (''), `level` text NOT NULL DEFAULT ('BEGINNER'), `language` text NOT NULL DEFAULT ('en'), `status` text NOT NULL DEFAULT ('DRAFT'), `published_at` datetime NULL, `requirements` json NOT NULL, `takeaways` json NOT NULL, `enrollment_count` integer NOT NULL DEFAULT (0), `lesson_count` integer NOT NULL DEFAULT (0), `rating_count` integer NOT NULL DEFAULT (0), `rating_sum` integer NOT NULL DEFAULT (0), `rating_average` real NOT NULL DEFAULT (0), PRIMARY KEY (`id`), CONSTRAINT `course_counters` CHECK (enrollment_count >= 0 AND lesson_count >= 0 AND rating_count >= 0 AND rating_sum BETWEEN rating_count AND 5 * rating_count), CONSTRAINT `course_description` CHECK (length(description) BETWEEN 0 AND 100000), CONSTRAINT `course_level` CHECK (level IN ('BEGINNER', 'INTERMEDIATE', 'ADVANCED')), CONSTRAINT `course_published` CHECK (status = 'DRAFT' OR published_at IS NOT NULL), CONSTRAINT `course_rating` CHECK (rating_average BETWEEN 0 AND 5), CONSTRAINT `course_slug` CHECK (length(slug) BETWEEN 1 AND 80 AND slug = lower(slug)), CONSTRAINT `course_status` CHECK (status IN ('DRAFT', 'PUBLISHED', 'ARCHIVED')), CONSTRAINT `course_summary` CHECK (length(summary) BETWEEN 0 AND 500), CONSTRAINT `course_title` CHECK (length(title) BETWEEN 1 AND 200));
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
-- Create "course_members" table
CREATE TABLE `course_members` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `role` text NOT NULL, `course_id` uuid NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `course_members_courses_members` FOREIGN KEY (`course_id`) REFERENCES `courses` (`id`) ON DELETE CASCADE, CONSTRAINT `course_members_users_memberships` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE RESTRICT, CONSTRAINT `course_member_role` CHECK (role IN ('OWNER', 'INSTRUCTOR', 'ASSISTANT')));
-- Create index "coursemember_course_id_user_id" to table: "course_members"
CREATE UNIQUE INDEX `coursemember_course_id_user_id` ON `course_members` (`course_id`, `user_id`);
-- Create index "coursemember_one_owner" to table: "course_members"
CREATE UNIQUE INDEX `coursemember_one_owner` ON `course_members` (`course_id`) WHERE role = 'OWNER';
-- Create index "coursemember_user_id" to table: "course_members"
CREATE INDEX `coursemember_user_id` ON `course_members` (`user_id`);
-- Create "course_tags" table
CREATE TABLE `course_tags` (`course_id` uuid NOT NULL, `tag_id` uuid NOT NULL, PRIMARY KEY (`course_id`, `tag_id`), CONSTRAINT `course_tags_courses_course` FOREIGN KEY (`course_id`) REFERENCES `courses` (`id`) ON DELETE CASCADE, CONSTRAINT `course_tags_tags_tag` FOREIGN KEY (`tag_id`) REFERENCES `tags` (`id`) ON DELETE CASCADE);
-- Create index "coursetag_tag_id" to table: "course_tags"
CREATE INDEX `coursetag_tag_id` ON `course_tags` (`tag_id`);
-- Create "enrollments" table
CREATE TABLE `enrollments` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `status` text NOT NULL DEFAULT ('ACTIVE'), `completed_lesson_count` integer NOT NULL DEFAULT (0), `completed_at` datetime NULL, `course_id` uuid NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `enrollments_courses_enrollments` FOREIGN KEY (`course_id`) REFERENCES `courses` (`id`) ON DELETE RESTRICT, CONSTRAINT `enrollments_users_enrollments` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE RESTRICT, CONSTRAINT `enrollment_completed` CHECK (status = 'COMPLETED' AND completed_at IS NOT NULL OR status <> 'COMPLETED' AND completed_at IS NULL), CONSTRAINT `enrollment_progress` CHECK (completed_lesson_count >= 0), CONSTRAINT `enrollment_status` CHECK (status IN ('ACTIVE', 'COMPLETED', 'CANCELLED')));
-- Create index "enrollment_user_id_course_id" to table: "enrollments"
CREATE UNIQUE INDEX `enrollment_user_id_course_id` ON `enrollments` (`user_id`, `course_id`);
-- Create index "enrollment_course_id_status" to table: "enrollments"
CREATE INDEX `enrollment_course_id_status` ON `enrollments` (`course_id`, `status`);
-- Create "faq_entries" table
CREATE TABLE `faq_entries` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `question` text NOT NULL, `answer` text NOT NULL, `position` integer NOT NULL, `course_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `faq_entries_courses_faq` FOREIGN KEY (`course_id`) REFERENCES `courses` (`id`) ON DELETE CASCADE, CONSTRAINT `faq_answer` CHECK (length(answer) BETWEEN 1 AND 5000), CONSTRAINT `faq_position` CHECK (position >= 0), CONSTRAINT `faq_question` CHECK (length(question) BETWEEN 1 AND 300));
-- Create index "faqentry_course_id_position" to table: "faq_entries"
CREATE UNIQUE INDEX `faqentry_course_id_position` ON `faq_entries` (`course_id`, `position`);
-- Create "lessons" table
CREATE TABLE `lessons` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `slug` text NOT NULL, `title` text NOT NULL, `body` text NOT NULL DEFAULT (''), `reading_minutes` integer NOT NULL DEFAULT (0), `position` integer NOT NULL, `status` text NOT NULL DEFAULT ('DRAFT'), `access` text NOT NULL DEFAULT ('ENROLLED'), `published_at` datetime NULL, `course_id` uuid NOT NULL, `section_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `lessons_courses_lessons` FOREIGN KEY (`course_id`) REFERENCES `courses` (`id`) ON DELETE CASCADE, CONSTRAINT `lessons_sections_lessons` FOREIGN KEY (`section_id`) REFERENCES `sections` (`id`) ON DELETE CASCADE, CONSTRAINT `lesson_access` CHECK (access IN ('PUBLIC', 'ENROLLED')), CONSTRAINT `lesson_body` CHECK (length(body) BETWEEN 0 AND 200000), CONSTRAINT `lesson_numbers` CHECK (reading_minutes >= 0 AND position >= 0), CONSTRAINT `lesson_published` CHECK (status = 'DRAFT' OR published_at IS NOT NULL), CONSTRAINT `lesson_slug` CHECK (length(slug) BETWEEN 1 AND 80 AND slug = lower(slug)), CONSTRAINT `lesson_status` CHECK (status IN ('DRAFT', 'PUBLISHED')), CONSTRAINT `lesson_title` CHECK (length(title) BETWEEN 1 AND 200));
-- Create index "lesson_course_id_slug" to table: "lessons"
CREATE UNIQUE INDEX `lesson_course_id_slug` ON `lessons` (`course_id`, `slug`);
-- Create index "lesson_section_id_position" to table: "lessons"
CREATE UNIQUE INDEX `lesson_section_id_position` ON `lessons` (`section_id`, `position`);
-- Create index "lesson_course_id_status" to table: "lessons"
CREATE INDEX `lesson_course_id_status` ON `lessons` (`course_id`, `status`);
-- Create "lesson_progresses" table
CREATE TABLE `lesson_progresses` (`id` uuid NOT NULL, `completed_at` datetime NOT NULL, `enrollment_id` uuid NOT NULL, `lesson_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `lesson_progresses_enrollments_progress` FOREIGN KEY (`enrollment_id`) REFERENCES `enrollments` (`id`) ON DELETE CASCADE, CONSTRAINT `lesson_progresses_lessons_progress` FOREIGN KEY (`lesson_id`) REFERENCES `lessons` (`id`) ON DELETE CASCADE);
-- Create index "lessonprogress_enrollment_id_lesson_id" to table: "lesson_progresses"
CREATE UNIQUE INDEX `lessonprogress_enrollment_id_lesson_id` ON `lesson_progresses` (`enrollment_id`, `lesson_id`);
-- Create index "lessonprogress_lesson_id" to table: "lesson_progresses"
CREATE INDEX `lessonprogress_lesson_id` ON `lesson_progresses` (`lesson_id`);
-- Create "reviews" table
CREATE TABLE `reviews` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `rating` integer NOT NULL, `body` text NOT NULL DEFAULT (''), `course_id` uuid NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `reviews_courses_reviews` FOREIGN KEY (`course_id`) REFERENCES `courses` (`id`) ON DELETE RESTRICT, CONSTRAINT `reviews_users_reviews` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE RESTRICT, CONSTRAINT `review_body` CHECK (length(body) BETWEEN 0 AND 5000), CONSTRAINT `review_rating` CHECK (rating BETWEEN 1 AND 5));
-- Create index "review_user_id_course_id" to table: "reviews"
CREATE UNIQUE INDEX `review_user_id_course_id` ON `reviews` (`user_id`, `course_id`);
-- Create index "review_course_id_created_at" to table: "reviews"
CREATE INDEX `review_course_id_created_at` ON `reviews` (`course_id`, `created_at`);
-- Create "sections" table
CREATE TABLE `sections` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `title` text NOT NULL, `position` integer NOT NULL, `course_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sections_courses_sections` FOREIGN KEY (`course_id`) REFERENCES `courses` (`id`) ON DELETE CASCADE, CONSTRAINT `section_position` CHECK (position >= 0), CONSTRAINT `section_title` CHECK (length(title) BETWEEN 1 AND 200));
-- Create index "section_course_id_position" to table: "sections"
CREATE UNIQUE INDEX `section_course_id_position` ON `sections` (`course_id`, `position`);
-- Create "tags" table
CREATE TABLE `tags` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `slug` text NOT NULL, `name` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `tag_name` CHECK (length(name) BETWEEN 1 AND 50), CONSTRAINT `tag_slug` CHECK (length(slug) BETWEEN 1 AND 50 AND slug = lower(slug)));
-- Create index "tags_slug_key" to table: "tags"
CREATE UNIQUE INDEX `tags_slug_key` ON `tags` (`slug`);
-- Create index "tag_name" to table: "tags"
CREATE INDEX `tag_name` ON `tags` (`name`);
-- Create "users" table
CREATE TABLE `users` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `display_name` text NOT NULL, `bio` text NOT NULL DEFAULT (''), `role` text NOT NULL DEFAULT ('LEARNER'), `email_verified_at` datetime NULL, PRIMARY KEY (`id`), CONSTRAINT `user_bio` CHECK (length(bio) BETWEEN 0 AND 2000), CONSTRAINT `user_display_name` CHECK (length(display_name) BETWEEN 1 AND 100), CONSTRAINT `user_email_lowercase` CHECK (email = lower(email)), CONSTRAINT `user_role` CHECK (role IN ('LEARNER', 'INSTRUCTOR', 'ADMIN')));
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
