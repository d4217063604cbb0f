-- Create index "course_order_published_at" to table: "courses"
CREATE INDEX `course_order_published_at` ON `courses` (`published_at`);
-- Create index "course_order_title" to table: "courses"
CREATE INDEX `course_order_title` ON `courses` (`title`);
-- Create index "course_order_rating_average" to table: "courses"
CREATE INDEX `course_order_rating_average` ON `courses` (`rating_average`);
-- Create index "course_order_enrollment_count" to table: "courses"
CREATE INDEX `course_order_enrollment_count` ON `courses` (`enrollment_count`);
