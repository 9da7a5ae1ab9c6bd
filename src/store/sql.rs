//! The SQL both backends share: the schemas differ only in column types
//! and in how they refuse changes to the audit log (see `migrations/`), so
//! one text of each statement serves SQLite and PostgreSQL (`$1`
//! placeholders, `ON CONFLICT`, integer microseconds for times). The
//! macro gives each backend's store the [`Store`](super::Store) methods;
//! what differs — connecting, pragmas, which errors are worth a retry —
//! lives in the backend's own file.

use sqlx::QueryBuilder;

use crate::domain::{Assessment, BundleRef, Verdict};

use super::{
    AuditAction, AuditEntry, ReviewStatus, RevisionInfo, StoreError, Stored, Summary, from_micros,
};

/// Attempts of a write that met a busy database or a serialization
/// conflict before its error reaches the caller.
pub(super) const WRITE_ATTEMPTS: u32 = 8;

/// A write as a backend runs it, owned: on PostgreSQL in a transaction of
/// its own, on SQLite in the next group commit.
#[derive(Debug)]
pub(super) enum Write {
    /// A new assessment, its first revision and the audit row.
    Create(Box<CreateRow>, AuditEntry),
    /// A reviewed revision and the audit row.
    Review(Box<ReviewRow>, AuditEntry),
    /// An audit row alone.
    Audit(AuditEntry),
}

/// The columns of a new assessment.
#[derive(Debug)]
pub(super) struct CreateRow {
    pub id: String,
    pub tenant: String,
    pub case_id: String,
    pub request_id: Option<String>,
    pub input_digest: String,
    pub bundle: BundleRef,
    pub title: String,
    pub created_at: i64,
    pub draft: String,
    pub verdict: &'static str,
    pub assessment: String,
}

impl CreateRow {
    pub(super) fn of(new: &super::NewAssessment) -> Result<CreateRow, StoreError> {
        let a = &new.assessment;
        Ok(CreateRow {
            id: a.id.clone(),
            tenant: a.tenant.clone(),
            case_id: a.case_id.clone(),
            request_id: new.request_id.clone(),
            input_digest: a.input_digest.clone(),
            bundle: a.bundle.clone(),
            title: a.title.clone(),
            created_at: super::micros(a.created_at),
            draft: to_json(&new.draft)?,
            verdict: a.screening.verdict.name(),
            assessment: to_json(a)?,
        })
    }
}

/// The columns of a reviewed revision, and the revision it must follow.
#[derive(Debug)]
pub(super) struct ReviewRow {
    pub tenant: String,
    pub id: String,
    pub expected: i64,
    pub revision: i64,
    pub created_at: i64,
    pub author: String,
    pub status: &'static str,
    pub verdict: &'static str,
    pub note: String,
    pub changes: String,
    pub assessment: String,
}

impl ReviewRow {
    pub(super) fn of(
        tenant: &str,
        id: &str,
        expected: u32,
        new: &super::NewRevision,
    ) -> Result<ReviewRow, StoreError> {
        Ok(ReviewRow {
            tenant: tenant.to_string(),
            id: id.to_string(),
            expected: i64::from(expected),
            revision: i64::from(new.revision),
            created_at: super::micros(new.created_at),
            author: new.author.clone(),
            status: new.status.name(),
            verdict: new.assessment.screening.verdict.name(),
            note: new.note.clone(),
            changes: to_json(&new.changes)?,
            assessment: to_json(&new.assessment)?,
        })
    }
}

/// The head of an insert into each table, its columns in the order the
/// `push_…` functions below (or a review's `INSERT_REVISION`) bind them:
/// one row at a time, or many at once in SQLite's group commit.
macro_rules! insert_into {
    (assessments) => {
        "INSERT INTO assessments (id, tenant, case_id, request_id, input_digest, bundle_id, \
            bundle_version, bundle_digest, title, created_at, draft, revision, status, verdict) "
    };
    (revisions) => {
        "INSERT INTO revisions (assessment_id, revision, created_at, author, status, verdict, \
            note, changes, assessment) "
    };
    (audit_log) => {
        "INSERT INTO audit_log (at, caller, peer, tenant, assessment_id, action, result) "
    };
}
pub(super) use insert_into;

/// What an insert into `assessments` does with a taken idempotency key.
pub(super) const ON_TAKEN_KEY: &str = " ON CONFLICT (tenant, request_id) DO NOTHING";

pub(super) const INSERT_REVISION: &str = concat!(
    insert_into!(revisions),
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
);

/// Pushes the `VALUES` of new assessments onto an insert into
/// `assessments`: one place binds their columns, for one row or many.
pub(super) fn push_new_assessments<'a, DB>(q: &mut QueryBuilder<'a, DB>, rows: &[&'a CreateRow])
where
    DB: sqlx::Database,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push_values(rows, |mut b, row| {
        b.push_bind(row.id.as_str())
            .push_bind(row.tenant.as_str())
            .push_bind(row.case_id.as_str())
            .push_bind(row.request_id.as_deref())
            .push_bind(row.input_digest.as_str())
            .push_bind(row.bundle.id.as_str())
            .push_bind(row.bundle.version.as_str())
            .push_bind(row.bundle.digest.as_str())
            .push_bind(row.title.as_str())
            .push_bind(row.created_at)
            .push_bind(row.draft.as_str())
            .push_bind(1i64)
            .push_bind(ReviewStatus::Draft.name())
            .push_bind(row.verdict);
    });
}

/// Pushes the `VALUES` of the machine's revisions of new assessments onto
/// an insert into `revisions`.
pub(super) fn push_first_revisions<'a, DB>(q: &mut QueryBuilder<'a, DB>, rows: &[&'a CreateRow])
where
    DB: sqlx::Database,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push_values(rows, |mut b, row| {
        b.push_bind(row.id.as_str())
            .push_bind(1i64)
            .push_bind(row.created_at)
            .push_bind("eva")
            .push_bind(ReviewStatus::Draft.name())
            .push_bind(row.verdict)
            .push_bind("")
            .push_bind("[]")
            .push_bind(row.assessment.as_str());
    });
}

/// Pushes the `VALUES` of audit rows onto an insert into `audit_log`.
pub(super) fn push_audit_rows<'a, DB>(q: &mut QueryBuilder<'a, DB>, entries: &[&'a AuditEntry])
where
    DB: sqlx::Database,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push_values(entries, |mut b, e| {
        b.push_bind(super::micros(e.at))
            .push_bind(e.caller.as_str())
            .push_bind(e.peer.as_str())
            .push_bind(e.tenant.as_str())
            .push_bind(e.assessment_id.as_deref())
            .push_bind(e.action.name())
            .push_bind(e.result.as_str());
    });
}

/// The migrations applied to a database, by sqlx's own table.
pub(super) const APPLIED_MIGRATIONS: &str =
    "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";

pub(super) const UPDATE_LATEST: &str = "\
    UPDATE assessments SET revision = $1, status = $2, verdict = $3 \
    WHERE tenant = $4 AND id = $5 AND revision = $6";

pub(super) const SELECT_CHANGES: &str = "\
    SELECT a.id, r.revision, r.changes \
    FROM assessments a JOIN revisions r ON r.assessment_id = a.id \
    WHERE ($1 IS NULL OR a.tenant = $1) AND a.created_at >= $2 AND a.created_at < $3 \
      AND r.revision > 1 \
    ORDER BY a.created_at, a.id, r.revision";

pub(super) const SELECT_COUNT: &str = "\
    SELECT COUNT(*) FROM assessments \
    WHERE ($1 IS NULL OR tenant = $1) AND created_at >= $2 AND created_at < $3";

pub(super) const SELECT_LEDGER: &str = "\
    SELECT a.case_id, r.revision, r.status, r.assessment \
    FROM assessments a JOIN revisions r ON r.assessment_id = a.id \
    WHERE ($1 IS NULL OR a.tenant = $1) AND a.created_at >= $2 AND a.created_at < $3 \
      AND r.revision = COALESCE(( \
        SELECT MAX(q.revision) FROM revisions q \
        WHERE q.assessment_id = a.id AND q.status IN ('reviewed', 'approved')), 1) \
    ORDER BY a.created_at, a.id";

pub(super) const SELECT_STORED: &str = "\
    SELECT r.assessment, r.revision, r.status, a.request_id \
    FROM assessments a JOIN revisions r ON r.assessment_id = a.id \
    WHERE a.tenant = $1 AND a.id = $2 AND r.revision = COALESCE($3, a.revision)";

pub(super) const SELECT_BY_REQUEST: &str = "\
    SELECT r.assessment, r.revision, r.status, a.request_id \
    FROM assessments a JOIN revisions r ON r.assessment_id = a.id \
    WHERE a.tenant = $1 AND a.request_id = $2 AND r.revision = a.revision";

pub(super) const SELECT_PAGE: &str = "\
    SELECT id, case_id, title, verdict, revision, status, created_at, input_digest, \
        bundle_id, bundle_version, bundle_digest \
    FROM assessments \
    WHERE tenant = $1 \
      AND ($2 IS NULL OR case_id = $2) \
      AND ($3 IS NULL OR verdict = $3) \
      AND ($4 IS NULL OR created_at >= $4) \
      AND ($5 IS NULL OR created_at < $5) \
      AND ($6 IS NULL OR created_at > $6 OR (created_at = $6 AND id > $7)) \
    ORDER BY created_at, id \
    LIMIT $8";

pub(super) const SELECT_EXISTS: &str = "SELECT 1 FROM assessments WHERE tenant = $1 AND id = $2";

pub(super) const SELECT_REVISIONS: &str = "\
    SELECT revision, created_at, author, status, verdict, note \
    FROM revisions WHERE assessment_id = $1 ORDER BY revision";

pub(super) const SELECT_AUDIT: &str = "\
    SELECT at, caller, peer, tenant, assessment_id, action, result \
    FROM audit_log WHERE tenant = $1 AND at >= $2 AND at < $3 ORDER BY seq";

/// An assessment as the JSON document it is stored as.
pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Failed(format!("cannot write a document as JSON: {e}")))
}

/// A stored assessment read back.
pub(super) fn assessment(json: &str) -> Result<Assessment, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("an assessment: {e}")))
}

pub(super) fn revision(n: i64) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("revision {n} is out of range")))
}

pub(super) fn status(name: &str) -> Result<ReviewStatus, StoreError> {
    ReviewStatus::from_name(name)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown review status `{name}`")))
}

pub(super) fn verdict(name: &str) -> Result<Verdict, StoreError> {
    Verdict::from_name(name).ok_or_else(|| StoreError::Corrupt(format!("unknown verdict `{name}`")))
}

pub(super) fn action(name: &str) -> Result<AuditAction, StoreError> {
    AuditAction::from_name(name)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown audit action `{name}`")))
}

/// The columns of [`SELECT_STORED`] and [`SELECT_BY_REQUEST`].
pub(super) fn stored(
    json: &str,
    rev: i64,
    status_name: &str,
    request_id: Option<String>,
) -> Result<Stored, StoreError> {
    Ok(Stored {
        assessment: assessment(json)?,
        revision: revision(rev)?,
        status: status(status_name)?,
        request_id,
    })
}

/// The columns of [`SELECT_PAGE`].
pub(super) struct SummaryRow {
    pub id: String,
    pub case_id: String,
    pub title: String,
    pub verdict: String,
    pub revision: i64,
    pub status: String,
    pub created_at: i64,
    pub input_digest: String,
    pub bundle_id: String,
    pub bundle_version: String,
    pub bundle_digest: String,
}

impl SummaryRow {
    pub(super) fn summary(self) -> Result<Summary, StoreError> {
        Ok(Summary {
            verdict: verdict(&self.verdict)?,
            revision: revision(self.revision)?,
            status: status(&self.status)?,
            created_at: from_micros(self.created_at)?,
            bundle: BundleRef {
                id: self.bundle_id,
                version: self.bundle_version,
                digest: self.bundle_digest,
            },
            id: self.id,
            case_id: self.case_id,
            title: self.title,
            input_digest: self.input_digest,
        })
    }
}

/// The columns of [`SELECT_REVISIONS`].
pub(super) fn revision_info(
    rev: i64,
    created_at: i64,
    author: String,
    status_name: &str,
    verdict_name: &str,
    note: String,
) -> Result<RevisionInfo, StoreError> {
    Ok(RevisionInfo {
        revision: revision(rev)?,
        created_at: from_micros(created_at)?,
        author,
        status: status(status_name)?,
        verdict: verdict(verdict_name)?,
        note,
    })
}

/// The columns of [`SELECT_AUDIT`].
pub(super) fn audit_entry(
    at: i64,
    caller: String,
    peer: String,
    tenant: String,
    assessment_id: Option<String>,
    action_name: &str,
    result: String,
) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        at: from_micros(at)?,
        caller,
        peer,
        tenant,
        assessment_id,
        action: action(action_name)?,
        result,
    })
}

/// Gives `$store` (a struct with `pool: sqlx::Pool<$db>` for reads,
/// `async fn write(&self, Write) -> Result<bool, StoreError>` that runs a
/// write with [`run_write`](Write) in a transaction, `async fn ready()` that
/// the schema is up to date, and the functions
/// `transient(&sqlx::Error) -> bool` and `error(sqlx::Error) -> StoreError`)
/// the methods of [`Store`](super::Store).
macro_rules! sql_store {
    ($store:ty, $db:ty, $backend:literal) => {
        impl $store {
            /// Runs the statements of `write` on `conn`, inside a
            /// transaction or savepoint the caller opened; `false` when it
            /// changed nothing (a taken key, a stale revision), which the
            /// caller rolls back.
            async fn run_write(
                conn: &mut <$db as sqlx::Database>::Connection,
                write: &$crate::store::sql::Write,
            ) -> Result<bool, sqlx::Error> {
                use $crate::store::sql::*;
                match write {
                    Write::Create(row, audit) => {
                        let rows = [&**row];
                        let mut q = sqlx::QueryBuilder::<$db>::new(insert_into!(assessments));
                        push_new_assessments(&mut q, &rows);
                        q.push(ON_TAKEN_KEY);
                        let inserted = q.build().execute(&mut *conn).await?.rows_affected();
                        if inserted == 0 {
                            return Ok(false);
                        }
                        let mut q = sqlx::QueryBuilder::<$db>::new(insert_into!(revisions));
                        push_first_revisions(&mut q, &rows);
                        q.build().execute(&mut *conn).await?;
                        Self::insert_audit(&mut *conn, audit).await?;
                    }
                    Write::Review(row, audit) => {
                        let updated = sqlx::query(UPDATE_LATEST)
                            .bind(row.revision)
                            .bind(row.status)
                            .bind(row.verdict)
                            .bind(&row.tenant)
                            .bind(&row.id)
                            .bind(row.expected)
                            .execute(&mut *conn)
                            .await?
                            .rows_affected();
                        if updated == 0 {
                            return Ok(false);
                        }
                        sqlx::query(INSERT_REVISION)
                            .bind(&row.id)
                            .bind(row.revision)
                            .bind(row.created_at)
                            .bind(&row.author)
                            .bind(row.status)
                            .bind(row.verdict)
                            .bind(&row.note)
                            .bind(&row.changes)
                            .bind(&row.assessment)
                            .execute(&mut *conn)
                            .await?;
                        Self::insert_audit(&mut *conn, audit).await?;
                    }
                    Write::Audit(audit) => Self::insert_audit(&mut *conn, audit).await?,
                }
                Ok(true)
            }

            /// A row of `SELECT_STORED` or `SELECT_BY_REQUEST`.
            fn stored_row(
                r: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::store::Stored, StoreError> {
                use sqlx::Row as _;
                $crate::store::sql::stored(
                    r.try_get::<&str, _>(0).map_err(Self::error)?,
                    r.try_get(1).map_err(Self::error)?,
                    r.try_get::<&str, _>(2).map_err(Self::error)?,
                    r.try_get(3).map_err(Self::error)?,
                )
            }

            async fn insert_audit<'e, E>(
                executor: E,
                e: &$crate::store::AuditEntry,
            ) -> Result<(), sqlx::Error>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let mut q =
                    sqlx::QueryBuilder::<$db>::new($crate::store::sql::insert_into!(audit_log));
                $crate::store::sql::push_audit_rows(&mut q, &[e]);
                q.build().execute(executor).await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn create(
                &self,
                new: &$crate::store::NewAssessment,
                audit: &$crate::store::AuditEntry,
            ) -> Result<$crate::store::Created, StoreError> {
                self.ready().await?;
                let row = $crate::store::sql::CreateRow::of(new)?;
                let inserted = self
                    .write($crate::store::sql::Write::Create(
                        Box::new(row),
                        audit.clone(),
                    ))
                    .await?;
                if inserted {
                    return Ok($crate::store::Created::New($crate::store::Stored {
                        assessment: new.assessment.clone(),
                        revision: 1,
                        status: $crate::store::ReviewStatus::Draft,
                        request_id: new.request_id.clone(),
                    }));
                }
                // the key is taken: by an earlier call, or by a concurrent
                // one that committed while this one waited for it
                let key = new.request_id.as_deref().unwrap_or_default();
                match self.by_request(&new.assessment.tenant, key).await? {
                    Some(s) => Ok($crate::store::Created::Existing(s)),
                    None => Err(StoreError::Failed(
                        "the idempotency key was taken, but nothing is stored under it".into(),
                    )),
                }
            }

            async fn by_request(
                &self,
                tenant: &str,
                request_id: &str,
            ) -> Result<Option<$crate::store::Stored>, StoreError> {
                self.ready().await?;
                let row = sqlx::query($crate::store::sql::SELECT_BY_REQUEST)
                    .bind(tenant)
                    .bind(request_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?;
                row.as_ref().map(Self::stored_row).transpose()
            }

            async fn get(
                &self,
                tenant: &str,
                id: &str,
                revision: Option<u32>,
            ) -> Result<Option<$crate::store::Stored>, StoreError> {
                self.ready().await?;
                let row = sqlx::query($crate::store::sql::SELECT_STORED)
                    .bind(tenant)
                    .bind(id)
                    .bind(revision.map(i64::from))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?;
                row.as_ref().map(Self::stored_row).transpose()
            }

            async fn list(
                &self,
                query: &$crate::store::ListQuery,
            ) -> Result<$crate::store::Page, StoreError> {
                self.ready().await?;
                use sqlx::Row as _;
                let size = query.page_size.clamp(1, $crate::store::MAX_PAGE_SIZE);
                let rows = sqlx::query($crate::store::sql::SELECT_PAGE)
                    .bind(&query.tenant)
                    .bind(query.case_id.as_deref())
                    .bind(query.verdict.map(|v| v.name()))
                    .bind(query.from.map($crate::store::micros))
                    .bind(query.to.map($crate::store::micros))
                    .bind(query.after.as_ref().map(|c| c.created_at))
                    .bind(query.after.as_ref().map(|c| c.id.as_str()))
                    .bind(i64::from(size) + 1)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(Self::error)?;
                let mut items = Vec::with_capacity(rows.len());
                for r in rows {
                    let row = $crate::store::sql::SummaryRow {
                        id: r.try_get(0).map_err(Self::error)?,
                        case_id: r.try_get(1).map_err(Self::error)?,
                        title: r.try_get(2).map_err(Self::error)?,
                        verdict: r.try_get(3).map_err(Self::error)?,
                        revision: r.try_get(4).map_err(Self::error)?,
                        status: r.try_get(5).map_err(Self::error)?,
                        created_at: r.try_get(6).map_err(Self::error)?,
                        input_digest: r.try_get(7).map_err(Self::error)?,
                        bundle_id: r.try_get(8).map_err(Self::error)?,
                        bundle_version: r.try_get(9).map_err(Self::error)?,
                        bundle_digest: r.try_get(10).map_err(Self::error)?,
                    };
                    items.push(row.summary()?);
                }
                let next = if items.len() > size as usize {
                    items.truncate(size as usize);
                    items.last().map(|s| $crate::store::Cursor {
                        created_at: $crate::store::micros(s.created_at),
                        id: s.id.clone(),
                    })
                } else {
                    None
                };
                Ok($crate::store::Page { items, next })
            }

            async fn review(
                &self,
                tenant: &str,
                id: &str,
                expected: u32,
                new: &$crate::store::NewRevision,
                audit: &$crate::store::AuditEntry,
            ) -> Result<bool, StoreError> {
                self.ready().await?;
                let row = $crate::store::sql::ReviewRow::of(tenant, id, expected, new)?;
                self.write($crate::store::sql::Write::Review(
                    Box::new(row),
                    audit.clone(),
                ))
                .await
            }

            async fn review_changes(
                &self,
                tenant: Option<&str>,
                from: time::OffsetDateTime,
                to: time::OffsetDateTime,
            ) -> Result<Vec<(String, u32, Vec<$crate::domain::review::Justified>)>, StoreError>
            {
                self.ready().await?;
                use sqlx::Row as _;
                let rows = sqlx::query($crate::store::sql::SELECT_CHANGES)
                    .bind(tenant)
                    .bind($crate::store::micros(from))
                    .bind($crate::store::micros(to))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(Self::error)?;
                rows.into_iter()
                    .map(|r| {
                        let changes: &str = r.try_get(2).map_err(Self::error)?;
                        Ok((
                            r.try_get(0).map_err(Self::error)?,
                            $crate::store::sql::revision(r.try_get(1).map_err(Self::error)?)?,
                            serde_json::from_str(changes).map_err(|e| {
                                StoreError::Corrupt(format!("the changes of a review: {e}"))
                            })?,
                        ))
                    })
                    .collect()
            }

            async fn count(
                &self,
                tenant: Option<&str>,
                from: time::OffsetDateTime,
                to: time::OffsetDateTime,
            ) -> Result<u64, StoreError> {
                self.ready().await?;
                let n: i64 = sqlx::query_scalar($crate::store::sql::SELECT_COUNT)
                    .bind(tenant)
                    .bind($crate::store::micros(from))
                    .bind($crate::store::micros(to))
                    .fetch_one(&self.pool)
                    .await
                    .map_err(Self::error)?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn ledger(
                &self,
                tenant: Option<&str>,
                from: time::OffsetDateTime,
                to: time::OffsetDateTime,
            ) -> Result<Vec<$crate::store::LedgerEntry>, StoreError> {
                self.ready().await?;
                use sqlx::Row as _;
                let rows = sqlx::query($crate::store::sql::SELECT_LEDGER)
                    .bind(tenant)
                    .bind($crate::store::micros(from))
                    .bind($crate::store::micros(to))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(Self::error)?;
                rows.into_iter()
                    .map(|r| {
                        Ok($crate::store::LedgerEntry {
                            case_id: r.try_get(0).map_err(Self::error)?,
                            revision: $crate::store::sql::revision(
                                r.try_get(1).map_err(Self::error)?,
                            )?,
                            status: $crate::store::sql::status(
                                r.try_get::<&str, _>(2).map_err(Self::error)?,
                            )?,
                            assessment: $crate::store::sql::assessment(
                                r.try_get::<&str, _>(3).map_err(Self::error)?,
                            )?,
                        })
                    })
                    .collect()
            }

            async fn revisions(
                &self,
                tenant: &str,
                id: &str,
            ) -> Result<Option<Vec<$crate::store::RevisionInfo>>, StoreError> {
                self.ready().await?;
                use sqlx::Row as _;
                let exists = sqlx::query($crate::store::sql::SELECT_EXISTS)
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?;
                if exists.is_none() {
                    return Ok(None);
                }
                let rows = sqlx::query($crate::store::sql::SELECT_REVISIONS)
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(Self::error)?;
                rows.into_iter()
                    .map(|r| {
                        $crate::store::sql::revision_info(
                            r.try_get(0).map_err(Self::error)?,
                            r.try_get(1).map_err(Self::error)?,
                            r.try_get(2).map_err(Self::error)?,
                            r.try_get::<&str, _>(3).map_err(Self::error)?,
                            r.try_get::<&str, _>(4).map_err(Self::error)?,
                            r.try_get(5).map_err(Self::error)?,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some)
            }

            async fn audit(&self, entry: &$crate::store::AuditEntry) -> Result<(), StoreError> {
                self.ready().await?;
                self.write($crate::store::sql::Write::Audit(entry.clone()))
                    .await
                    .map(|_| ())
            }

            async fn audit_log(
                &self,
                tenant: &str,
                from: time::OffsetDateTime,
                to: time::OffsetDateTime,
            ) -> Result<Vec<$crate::store::AuditEntry>, StoreError> {
                self.ready().await?;
                use sqlx::Row as _;
                let rows = sqlx::query($crate::store::sql::SELECT_AUDIT)
                    .bind(tenant)
                    .bind($crate::store::micros(from))
                    .bind($crate::store::micros(to))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(Self::error)?;
                rows.into_iter()
                    .map(|r| {
                        $crate::store::sql::audit_entry(
                            r.try_get(0).map_err(Self::error)?,
                            r.try_get(1).map_err(Self::error)?,
                            r.try_get(2).map_err(Self::error)?,
                            r.try_get(3).map_err(Self::error)?,
                            r.try_get(4).map_err(Self::error)?,
                            r.try_get::<&str, _>(5).map_err(Self::error)?,
                            r.try_get(6).map_err(Self::error)?,
                        )
                    })
                    .collect()
            }

            async fn ping(&self) -> Result<(), StoreError> {
                self.ready().await?;
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err(Self::error)
            }
        }
    };
}

pub(super) use sql_store;
