-- Trigram indexes serve the catalogue's text search (ILIKE '%term%').
-- pg_trgm is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
