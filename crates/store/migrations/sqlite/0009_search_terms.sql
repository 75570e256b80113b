-- Every word in the search index, folded as the FTS5 tokenizer folds it. A query word
-- matches as a prefix; FTS5 answers a prefix query by merging the whole doclist of every
-- word with that prefix before returning the newest match, which takes long for a common
-- word. Search looks a prefix's words up here instead and asks FTS5 for any of those exact
-- words, which it reads lazily, newest first.
CREATE TABLE search_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;

-- The words of what is indexed already, read once from the index itself.
CREATE VIRTUAL TABLE temp.search_terms_fill USING fts5vocab(main, search_fts, 'row');
INSERT INTO search_terms (term) SELECT term FROM temp.search_terms_fill WHERE length(CAST(term AS BLOB)) <= 64;
DROP TABLE temp.search_terms_fill;
