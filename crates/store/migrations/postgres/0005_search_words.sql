-- Index the words queries are made of. PostgreSQL's parser keeps `ana@example.com` or
-- `shop.example` as one lexeme, while a query is split into letters-and-digits words
-- (as SQLite's tokenizer splits the text), so a contact could not be found by part of
-- an address. Index the text with every run of other characters turned into a space.

ALTER TABLE search_docs DROP COLUMN tsv;
ALTER TABLE search_docs ADD COLUMN tsv TSVECTOR
    GENERATED ALWAYS AS (to_tsvector('simple', regexp_replace(body, '[^[:alnum:]]+', ' ', 'g'))) STORED;
CREATE INDEX search_docs_tsv ON search_docs USING GIN (workspace_id, tsv);
