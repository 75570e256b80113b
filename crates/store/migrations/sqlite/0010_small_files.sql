-- Small files (a mail's original, most attachments) live in the database, written in the
-- transaction that records them: durable with their message, and no file to create per
-- mail. Larger files stay in the attachment directory. Keyed like the files, by content.
CREATE TABLE file_contents (
    workspace_id BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (workspace_id, sha256)
);
