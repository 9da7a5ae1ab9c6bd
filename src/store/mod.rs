//! The system of record: assessments as they were made and reviewed, and
//! the audit log of who read or changed them. One trait, [`Store`], with
//! two implementations on `sqlx`: SQLite, embedded and the default, and
//! PostgreSQL for production. Nothing outside this module writes SQL.
//!
//! Every read and write is scoped to a tenant: an assessment of another
//! municipality is not found, exactly as one that does not exist.

mod postgres;
mod sql;
mod sqlite;
mod token;

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;

pub use crate::domain::ReviewStatus;
use crate::domain::review::Justified;
use crate::domain::{Assessment, BundleRef, Draft, Verdict};

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use token::{Cursor, TokenError};

/// Where `eva serve` keeps its data when nothing else is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/eva.db";

/// Most assessments one page of a listing may hold.
pub const MAX_PAGE_SIZE: u32 = 500;

/// Assessments a page holds when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// An assessment to keep, with the draft it was made of.
#[derive(Debug, Clone)]
pub struct NewAssessment {
    /// The caller's idempotency key, unique per tenant.
    pub request_id: Option<String>,
    /// The draft as it was assessed.
    pub draft: Draft,
    /// The machine's assessment: revision 1.
    pub assessment: Assessment,
}

/// A reviewed revision to keep.
#[derive(Debug, Clone)]
pub struct NewRevision {
    /// Its number: one more than the revision reviewed.
    pub revision: u32,
    /// When the review was made.
    pub created_at: OffsetDateTime,
    /// The reviewer.
    pub author: String,
    /// Review status it sets.
    pub status: ReviewStatus,
    /// The reviewer's note.
    pub note: String,
    /// The changes, each with its justification.
    pub changes: Vec<Justified>,
    /// The assessment with the changes applied.
    pub assessment: Assessment,
}

/// An assessment as the welfare report counts it: the latest reviewed
/// revision where there is one, else the machine's.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    /// Case id of the draft.
    pub case_id: String,
    /// The revision counted.
    pub revision: u32,
    /// Its review status.
    pub status: ReviewStatus,
    /// The assessment at that revision.
    pub assessment: Assessment,
}

/// An assessment as stored, at one revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The assessment at this revision.
    pub assessment: Assessment,
    /// The revision: 1 is the machine's.
    pub revision: u32,
    /// Review status at this revision.
    pub status: ReviewStatus,
    /// The idempotency key it was created under, if any.
    pub request_id: Option<String>,
}

/// What [`Store::create`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// A new assessment was stored.
    New(Stored),
    /// The tenant's idempotency key was taken: this is the assessment
    /// stored under it (at its latest revision), which may be of another
    /// draft.
    Existing(Stored),
}

/// One revision of an assessment, without its content.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionInfo {
    /// 1 is the machine's.
    pub revision: u32,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// Who made it: `eva` for revision 1, else the reviewer.
    pub author: String,
    /// Review status it set.
    pub status: ReviewStatus,
    /// Screening verdict at this revision.
    pub verdict: Verdict,
    /// The reviewer's note.
    pub note: String,
}

/// An assessment in a listing: its latest revision, without content.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Assessment id.
    pub id: String,
    /// Case id of the draft.
    pub case_id: String,
    /// Title of the draft.
    pub title: String,
    /// Screening verdict of the latest revision.
    pub verdict: Verdict,
    /// The latest revision.
    pub revision: u32,
    /// Its review status.
    pub status: ReviewStatus,
    /// When the assessment was made.
    pub created_at: OffsetDateTime,
    /// Digest of the draft.
    pub input_digest: String,
    /// The rule bundle that made it.
    pub bundle: BundleRef,
}

/// Which assessments to list: one tenant's, oldest first, each filter
/// optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    /// Municipality number.
    pub tenant: String,
    /// Only this case.
    pub case_id: Option<String>,
    /// Only this screening verdict (of the latest revision).
    pub verdict: Option<Verdict>,
    /// Made at or after.
    pub from: Option<OffsetDateTime>,
    /// Made before.
    pub to: Option<OffsetDateTime>,
    /// At most this many; 1 to [`MAX_PAGE_SIZE`].
    pub page_size: u32,
    /// Continue after this one.
    pub after: Option<Cursor>,
}

/// A page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The assessments, oldest first (ties by id).
    pub items: Vec<Summary>,
    /// Where the next page starts, when there is one.
    pub next: Option<Cursor>,
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// An assessment was made and stored, or a retry was answered with one.
    Create,
    /// An assessment or its revisions were read.
    Read,
    /// Assessments were listed.
    List,
    /// An assessment was reviewed.
    Review,
    /// An assessment was rendered.
    Render,
}

impl AuditAction {
    /// The name stored and exported.
    pub fn name(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Read => "read",
            AuditAction::List => "list",
            AuditAction::Review => "review",
            AuditAction::Render => "render",
        }
    }

    /// The action of `name`, if it is one.
    pub fn from_name(name: &str) -> Option<AuditAction> {
        [
            AuditAction::Create,
            AuditAction::Read,
            AuditAction::List,
            AuditAction::Review,
            AuditAction::Render,
        ]
        .into_iter()
        .find(|a| a.name() == name)
    }
}

/// One row of the audit log: identifiers only, never decision text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who, as the caller names itself (until authentication exists).
    pub caller: String,
    /// The network peer the call came from.
    pub peer: String,
    /// The tenant acted on.
    pub tenant: String,
    /// The assessment, when the action had one.
    pub assessment_id: Option<String>,
    /// What was done.
    #[serde(serialize_with = "action_name")]
    pub action: AuditAction,
    /// How it ended: `ok`, or the status it failed with (`not_found` …).
    pub result: String,
}

fn action_name<S: serde::Serializer>(a: &AuditAction, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(a.name())
}

/// Why the store failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is overloaded; try again later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database refused or failed the operation.
    #[error("the database failed: {0}")]
    Failed(String),
    /// A stored document cannot be read back.
    #[error("a stored record cannot be read: {0}")]
    Corrupt(String),
    /// The database cannot be opened as configured.
    #[error("{0}")]
    Config(String),
}

/// Storage of assessments, revisions and the audit log.
#[async_trait::async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Stores a new assessment as revision 1 and `audit` with it, in one
    /// transaction. When the tenant's idempotency key is taken, stores
    /// nothing and returns what is stored under it; concurrent calls with
    /// one key create exactly one assessment.
    async fn create(&self, new: &NewAssessment, audit: &AuditEntry) -> Result<Created, StoreError>;

    /// The assessment stored under a tenant's idempotency key, at its
    /// latest revision.
    async fn by_request(
        &self,
        tenant: &str,
        request_id: &str,
    ) -> Result<Option<Stored>, StoreError>;

    /// A tenant's assessment at `revision`, or at its latest.
    async fn get(
        &self,
        tenant: &str,
        id: &str,
        revision: Option<u32>,
    ) -> Result<Option<Stored>, StoreError>;

    /// A page of a tenant's assessments.
    async fn list(&self, query: &ListQuery) -> Result<Page, StoreError>;

    /// Stores `new` as the latest revision of a tenant's assessment, with
    /// `audit`, in one transaction, if its latest is still `expected`;
    /// `false` (and nothing stored) when another review came first.
    async fn review(
        &self,
        tenant: &str,
        id: &str,
        expected: u32,
        new: &NewRevision,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;

    /// The changes of every revision after the first of the assessments
    /// made between `from` and `to` (of one tenant, or of all), oldest
    /// first: what preparers corrected.
    async fn review_changes(
        &self,
        tenant: Option<&str>,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<(String, u32, Vec<Justified>)>, StoreError>;

    /// How many assessments were made between `from` and `to` (of one
    /// tenant, or of all).
    async fn count(
        &self,
        tenant: Option<&str>,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    /// The assessments made between `from` and `to` (of one tenant, or of
    /// all), oldest first, each at its latest reviewed revision or else the
    /// machine's.
    async fn ledger(
        &self,
        tenant: Option<&str>,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<LedgerEntry>, StoreError>;

    /// The revisions of a tenant's assessment, oldest first.
    async fn revisions(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<Vec<RevisionInfo>>, StoreError>;

    /// Appends to the audit log.
    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// A tenant's audit log between `from` (inclusive) and `to`
    /// (exclusive), oldest first.
    async fn audit_log(
        &self,
        tenant: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// What opening a database does with its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Creates an SQLite file when missing and applies the migrations the
    /// database lacks: the server.
    Migrate,
    /// Takes the database as it is: it must exist and be at the schema of
    /// this version of eva. For the command line's readers (`eva report`,
    /// `eva audit`), which must not change the schema under a server of
    /// another version.
    AsIs,
}

/// Opens the database at `url` (`sqlite://PATH` or `postgres://…`),
/// creating an SQLite file and its directory when missing, and brings its
/// schema up to date.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, Schema::Migrate).await
}

/// Opens the database at `url`, doing `schema` with its schema.
pub async fn open_with(url: &str, schema: Schema) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open_with(url, schema).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            PostgresStore::open_with_schema(url, schema).await?,
        ))
    } else {
        Err(StoreError::Config(format!(
            "the database URL must start with `sqlite:` or `postgres://`, not `{}`; \
             write for example `sqlite://data/eva.db` or `postgres://eva@db.example/eva`",
            url.split(':').next().unwrap_or_default()
        )))
    }
}

/// Whether a database whose applied migrations are `applied` (their
/// versions; `None` when it has no migrations table) is at the schema
/// `migrator` brings it to; `what` names the database in the error.
fn check_schema(
    applied: Option<Vec<i64>>,
    migrator: &sqlx::migrate::Migrator,
    what: &str,
) -> Result<(), StoreError> {
    let known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
    let newest = known.iter().copied().max().unwrap_or_default();
    let Some(applied) = applied else {
        return Err(StoreError::Config(format!(
            "{what} holds no eva data: eva serve has never used it; \
             give the --database-url (or EVA_DATABASE_URL) that eva serve uses"
        )));
    };
    let at = applied.iter().copied().max().unwrap_or_default();
    if applied.iter().any(|v| !known.contains(v)) {
        return Err(StoreError::Config(format!(
            "{what} is at schema version {at}, written by a newer eva; this one knows \
             versions up to {newest}: use the eva of the server that writes it"
        )));
    }
    if known.iter().any(|v| !applied.contains(v)) {
        return Err(StoreError::Config(format!(
            "{what} is at schema version {at}, and this eva needs {newest}: start this \
             version's eva serve on it once to bring it up to date, or use the eva of the \
             server that writes it"
        )));
    }
    Ok(())
}

/// Microseconds since the Unix epoch, as times are stored.
fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// The time `micros` stands for.
fn from_micros(micros: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .map_err(|e| StoreError::Corrupt(format!("a stored time is out of range: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for s in ReviewStatus::ALL {
            assert_eq!(ReviewStatus::from_name(s.name()), Some(s));
        }
        for a in [
            AuditAction::Create,
            AuditAction::Read,
            AuditAction::List,
            AuditAction::Review,
            AuditAction::Render,
        ] {
            assert_eq!(AuditAction::from_name(a.name()), Some(a));
        }
    }

    #[test]
    fn times_keep_their_microseconds() {
        let t = time::macros::datetime!(2026-12-03 10:11:12.123456 UTC);
        assert_eq!(from_micros(micros(t)).unwrap(), t);
    }

    #[tokio::test]
    async fn an_unknown_scheme_says_what_to_write() {
        let e = open("mysql://x").await.unwrap_err().to_string();
        assert!(e.contains("`mysql`") && e.contains("sqlite://"), "{e}");
    }
}
