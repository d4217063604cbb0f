-- Modify "courses" table
ALTER TABLE "courses" ADD CONSTRAINT "course_version" CHECK (version >= 1), ADD COLUMN "version" bigint NOT NULL DEFAULT 1;
