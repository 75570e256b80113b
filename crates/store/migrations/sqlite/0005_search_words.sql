-- PostgreSQL's search index learns to split addresses into words here; SQLite's FTS5
-- tokenizer (unicode61) has always split on those characters, so nothing changes.

SELECT 1;
