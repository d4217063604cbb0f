-- Drop index "lesson_section_id_position" from table: "lessons"
DROP INDEX "lesson_section_id_position";
-- Create index "lesson_section_id_position" to table: "lessons"
CREATE UNIQUE INDEX "lesson_section_id_position" ON "lessons" ("section_id", "position") INCLUDE ("id", "course_id", "status", "access", "slug", "title", "reading_minutes");
