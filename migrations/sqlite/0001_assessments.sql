-- Assessments, their revisions and the audit log (SQLite).
-- Times are microseconds since the Unix epoch, UTC; documents are JSON.

CREATE TABLE assessments (
    id             TEXT PRIMARY KEY,
    tenant         TEXT NOT NULL,
    case_id        TEXT NOT NULL,
    -- the caller's idempotency key, unique per tenant; NULL when none was given
    request_id     TEXT,
    input_digest   TEXT NOT NULL,
    bundle_id      TEXT NOT NULL,
    bundle_version TEXT NOT NULL,
    bundle_digest  TEXT NOT NULL,
    title          TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    draft          TEXT NOT NULL,
    -- the latest revision, its review status and screening verdict
    revision       INTEGER NOT NULL,
    status         TEXT NOT NULL,
    verdict        TEXT NOT NULL
);
CREATE UNIQUE INDEX assessments_request ON assessments (tenant, request_id);
CREATE INDEX assessments_tenant_time ON assessments (tenant, created_at, id);
CREATE INDEX assessments_case ON assessments (tenant, case_id, created_at, id);

-- Revision 1 is the machine's; each review adds one. Never changed.
CREATE TABLE revisions (
    assessment_id TEXT NOT NULL REFERENCES assessments (id),
    revision      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    author        TEXT NOT NULL,
    status        TEXT NOT NULL,
    verdict       TEXT NOT NULL,
    note          TEXT NOT NULL,
    changes       TEXT NOT NULL,
    assessment    TEXT NOT NULL,
    PRIMARY KEY (assessment_id, revision)
);

-- Who did what to which assessment, and how it ended: identifiers only.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    caller        TEXT NOT NULL,
    peer          TEXT NOT NULL,
    tenant        TEXT NOT NULL,
    assessment_id TEXT,
    action        TEXT NOT NULL,
    result        TEXT NOT NULL
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are never changed'); END;
CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are never changed'); END;
