-- SQLite keeps a list of the index's words for prefix search (0009 there); PostgreSQL's
-- GIN index answers prefix queries itself, so nothing changes here.
SELECT 1;
