//! SQLite: the embedded default. One file (`data/eva.db` unless
//! configured), write-ahead log, `synchronous=FULL` so that an
//! acknowledged assessment survives a crash of the process or the machine.
//! Writes go to one committer task that owns the write connection: it
//! takes every write waiting and commits them in one transaction (group
//! commit), so that concurrent writers share one durable commit; each is
//! answered only after that commit. The transaction goes to the
//! connection's thread as one query where it can (see
//! [`SqliteStore::commit`]): every call to that thread costs a switch
//! between threads, which costs more than the statements themselves. A
//! batch that meets a busy database (another process writing) is tried
//! again; callers never see it.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::QueryBuilder;
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};

use tokio::sync::{mpsc, oneshot};

use super::sql::APPLIED_MIGRATIONS;
use super::sql::{
    CreateRow, WRITE_ATTEMPTS, Write, insert_into, push_audit_rows, push_first_revisions,
    push_new_assessments, sql_store,
};
use super::{AuditEntry, Schema, StoreError, check_schema};

/// A write and where its outcome goes.
type Job = (Write, oneshot::Sender<Result<bool, StoreError>>);

/// Most writes in one commit.
const MAX_BATCH: usize = 64;

/// Connections of the read pool: readers run beside the one writer SQLite
/// allows.
const CONNECTIONS: u32 = 8;

/// How long a writer waits for another before SQLite reports it busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Assessments in an SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: sqlx::SqlitePool,
    /// The committer's queue.
    writes: mpsc::Sender<Job>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

impl SqliteStore {
    /// Opens (creating when missing) the database at `url`,
    /// `sqlite://PATH`, and applies the migrations it lacks.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(url, Schema::Migrate).await
    }

    /// Opens the database at `url`, doing `schema` with its schema: with
    /// [`Schema::AsIs`] the file must exist and be at this eva's schema.
    pub async fn open_with(url: &str, schema: Schema) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("the SQLite URL is invalid: {e}")))?
            .create_if_missing(schema == Schema::Migrate)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            // the journal of a statement inside a transaction (every insert
            // of a batch keeps one) in memory, not in a temporary file
            .pragma("temp_store", "memory");
        let file = options.get_filename().to_path_buf();
        let file = file.as_path();
        if schema == Schema::AsIs && !file.exists() {
            return Err(StoreError::Config(format!(
                "there is no database at `{}`; give the --database-url (or EVA_DATABASE_URL) \
                 that eva serve uses",
                file.display()
            )));
        }
        let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir.filter(|_| schema == Schema::Migrate) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Config(format!(
                    "cannot create the directory `{}` for the database: {e}",
                    dir.display()
                ))
            })?;
        }
        // a file does not go away as a server's connection may: no ping
        // (a call to the connection's thread) before each use
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(|e| opening(file, e))?;
        match schema {
            Schema::Migrate => MIGRATOR.run(&writer).await.map_err(|e| {
                StoreError::Config(format!(
                    "cannot bring the database `{}` up to date: {e}",
                    file.display()
                ))
            })?,
            Schema::AsIs => {
                let applied = sqlx::query_scalar::<_, i64>(APPLIED_MIGRATIONS)
                    .fetch_all(&writer)
                    .await;
                let applied = match applied {
                    Ok(versions) => Some(versions),
                    Err(sqlx::Error::Database(d)) if d.message().contains("no such table") => None,
                    Err(e) => return Err(opening(file, e)),
                };
                check_schema(
                    applied,
                    &MIGRATOR,
                    &format!("the database `{}`", file.display()),
                )?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(CONNECTIONS)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| opening(file, e))?;
        let (writes, queue) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(commit_loop(writer, queue));
        Ok(SqliteStore { pool, writes })
    }

    /// Has the committer run `write`, in the next group commit.
    async fn write(&self, write: Write) -> Result<bool, StoreError> {
        let (reply, outcome) = oneshot::channel();
        self.writes
            .send((write, reply))
            .await
            .map_err(|_| committer_stopped())?;
        outcome.await.map_err(|_| committer_stopped())?
    }

    /// Runs `batch` in one transaction and returns the outcomes in order,
    /// once committed; `Err` when the transaction itself failed: nothing of
    /// the batch was kept.
    ///
    /// The batch first runs together: its new assessments, their first
    /// revisions and every audit row of the batch take one statement per
    /// table, sent with the `BEGIN` and the `COMMIT` as one query, so that
    /// the connection's thread is called once. A taken idempotency key or
    /// any other failure rolls that back, and the transaction starts again
    /// with each write in a savepoint of its own, so that the failure (or
    /// the taken key) is that write's alone. Reviews, rare beside new
    /// assessments, run one by one before the `COMMIT`.
    async fn commit(
        conn: &mut sqlx::SqliteConnection,
        batch: &[Job],
    ) -> Result<Vec<Result<bool, StoreError>>, sqlx::Error> {
        let result = match Self::run_together(conn, batch).await {
            Err(e) if !Self::transient(&e) => {
                tracing::debug!(error = %e, "a write failed; running the batch one write at a time");
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                Self::run_each(conn, batch).await
            }
            result => result,
        };
        if result.is_err() {
            // no transaction may stay open; "no transaction is active" is fine
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        }
        result
    }

    /// `batch` in one transaction, one statement per table for its new
    /// assessments and audit rows (see [`commit`](Self::commit)). `Err`
    /// on the first failure, with the transaction possibly left open.
    async fn run_together(
        conn: &mut sqlx::SqliteConnection,
        batch: &[Job],
    ) -> Result<Vec<Result<bool, StoreError>>, sqlx::Error> {
        let creates: Vec<&CreateRow> = batch
            .iter()
            .filter_map(|(write, _)| match write {
                Write::Create(row, _) => Some(&**row),
                _ => None,
            })
            .collect();
        let audits: Vec<&AuditEntry> = batch
            .iter()
            .filter_map(|(write, _)| match write {
                Write::Create(_, audit) | Write::Audit(audit) => Some(audit),
                Write::Review(..) => None,
            })
            .collect();
        let reviews = batch.iter().any(|(w, _)| matches!(w, Write::Review(..)));
        let mut q = QueryBuilder::<Sqlite>::new("BEGIN IMMEDIATE; ");
        if !creates.is_empty() {
            q.push(insert_into!(assessments));
            push_new_assessments(&mut q, &creates);
            q.push("; ").push(insert_into!(revisions));
            push_first_revisions(&mut q, &creates);
            q.push("; ");
        }
        if !audits.is_empty() {
            q.push(insert_into!(audit_log));
            push_audit_rows(&mut q, &audits);
            q.push("; ");
        }
        if !reviews {
            q.push("COMMIT");
        }
        q.build().execute(&mut *conn).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (write, _) in batch {
            outcomes.push(Ok(match write {
                // a review writes its own audit row
                Write::Review(..) => Self::run_write(conn, write).await?,
                Write::Create(..) | Write::Audit(..) => true,
            }));
        }
        if reviews {
            sqlx::query("COMMIT").execute(&mut *conn).await?;
        }
        Ok(outcomes)
    }

    /// `batch` in one transaction, each write in a savepoint so that one
    /// that fails or changes nothing leaves the others.
    async fn run_each(
        conn: &mut sqlx::SqliteConnection,
        batch: &[Job],
    ) -> Result<Vec<Result<bool, StoreError>>, sqlx::Error> {
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (write, _) in batch {
            sqlx::query("SAVEPOINT write").execute(&mut *conn).await?;
            let outcome = match Self::run_write(conn, write).await {
                Ok(true) => {
                    sqlx::query("RELEASE write").execute(&mut *conn).await?;
                    outcomes.push(Ok(true));
                    continue;
                }
                Ok(false) => Ok(false),
                Err(e) if Self::transient(&e) => return Err(e),
                Err(e) => Err(Self::error(e)),
            };
            sqlx::query("ROLLBACK TO write").execute(&mut *conn).await?;
            sqlx::query("RELEASE write").execute(&mut *conn).await?;
            outcomes.push(outcome);
        }
        sqlx::query("COMMIT").execute(&mut *conn).await?;
        Ok(outcomes)
    }

    /// Ready while the committer runs: the file was opened and brought up
    /// to date at start. Should the committer have stopped, every call and
    /// the health check say so rather than reads alone going on.
    async fn ready(&self) -> Result<(), StoreError> {
        if self.writes.is_closed() {
            return Err(committer_stopped());
        }
        Ok(())
    }

    /// Busy or locked: another writer holds the database.
    fn transient(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d)
            if matches!(d.code().as_deref(), Some("5" | "6" | "261" | "517")))
    }

    fn error(e: sqlx::Error) -> StoreError {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            e if Self::transient(&e) => {
                StoreError::Unavailable("the database stayed busy; try again".into())
            }
            sqlx::Error::Database(d) => StoreError::Failed(d.message().to_string()),
            e => StoreError::Failed(e.to_string()),
        }
    }
}

fn committer_stopped() -> StoreError {
    StoreError::Unavailable(
        "the database's writer has stopped; restart the service (its log says why)".into(),
    )
}

fn opening(file: &Path, e: sqlx::Error) -> StoreError {
    StoreError::Config(format!(
        "cannot open the database `{}`: {e}",
        file.display()
    ))
}

/// Takes the writes waiting, commits them together, answers each; until
/// every sender is gone.
async fn commit_loop(writer: sqlx::SqlitePool, mut queue: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut tries = 0;
        let outcomes = loop {
            tries += 1;
            let result = match writer.acquire().await {
                Ok(mut conn) => SqliteStore::commit(&mut conn, &batch).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(outcomes) => break outcomes,
                Err(e) if tries < WRITE_ATTEMPTS && SqliteStore::transient(&e) => {
                    tracing::debug!(error = %e, tries, "database busy; trying the batch again");
                    tokio::time::sleep(Duration::from_millis(5 << tries.min(6))).await;
                }
                Err(e) => {
                    let e = SqliteStore::error(e);
                    break batch.iter().map(|_| Err(e.clone())).collect();
                }
            }
        };
        for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
            // a caller that went away no longer waits for its answer
            let _ = reply.send(outcome);
        }
    }
}

sql_store!(SqliteStore, sqlx::Sqlite, "sqlite");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BundleRef;
    use crate::store::{AuditAction, Store};
    use sqlx::Row;

    fn row(id: &str, key: Option<&str>) -> CreateRow {
        CreateRow {
            id: id.into(),
            tenant: "091".into(),
            case_id: "HEL 2026-1".into(),
            request_id: key.map(String::from),
            input_digest: format!("digest of {id}"),
            bundle: BundleRef {
                id: "eva-default".into(),
                version: "1".into(),
                digest: "abc".into(),
            },
            title: "Kouluverkko".into(),
            created_at: 1_780_000_000_000_000,
            draft: r#"{"title":"Kouluverkko"}"#.into(),
            verdict: "needed",
            assessment: format!(r#"{{"id":"{id}"}}"#),
        }
    }

    fn job(row: CreateRow) -> Job {
        let audit = AuditEntry {
            at: time::macros::datetime!(2026-12-03 10:00 UTC),
            caller: "test".into(),
            peer: "127.0.0.1:1".into(),
            tenant: row.tenant.clone(),
            assessment_id: Some(row.id.clone()),
            action: AuditAction::Create,
            result: "ok".into(),
        };
        (Write::Create(Box::new(row), audit), oneshot::channel().0)
    }

    /// The rows `sql` selects, each column as text.
    async fn stored(conn: &mut sqlx::SqliteConnection, sql: &str) -> Vec<Vec<String>> {
        sqlx::query(sql)
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        r.try_get::<Option<String>, _>(i)
                            .map(|v| v.unwrap_or_else(|| "NULL".into()))
                            .or_else(|_| r.try_get::<i64, _>(i).map(|v| v.to_string()))
                            .unwrap()
                    })
                    .collect()
            })
            .collect()
    }

    #[tokio::test]
    async fn a_stopped_committer_is_unavailable_to_reads_and_health_alike() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("eva.db").display());
        let open = SqliteStore::open(&url).await.unwrap();
        let (writes, queue) = mpsc::channel(1);
        drop(queue);
        let store = SqliteStore {
            pool: open.pool.clone(),
            writes,
        };
        assert!(open.ping().await.is_ok());
        for e in [
            store.ping().await.unwrap_err(),
            store.get("091", "x", None).await.unwrap_err(),
        ] {
            assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
            assert!(e.to_string().contains("restart"), "{e}");
        }
    }

    #[tokio::test]
    async fn a_batch_together_and_one_write_at_a_time_store_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("eva.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        let mut conn = store.pool.acquire().await.unwrap();

        // runs together: every write kept
        let together = [job(row("id-a", Some("k1"))), job(row("id-b", None))];
        let outcomes = SqliteStore::commit(&mut conn, &together).await.unwrap();
        assert!(matches!(outcomes[..], [Ok(true), Ok(true)]), "{outcomes:?}");

        // a taken key and an id that exists: one write at a time, and
        // only those two fail
        let apart = [
            job(row("id-c", Some("k2"))),
            job(row("id-d", Some("k1"))),
            job(row("id-a", Some("k3"))),
            job(row("id-e", None)),
        ];
        let outcomes = SqliteStore::commit(&mut conn, &apart).await.unwrap();
        assert!(
            matches!(
                outcomes[..],
                [Ok(true), Ok(false), Err(StoreError::Failed(_)), Ok(true)]
            ),
            "{outcomes:?}"
        );

        let assessments = stored(
            &mut conn,
            "SELECT id, tenant, case_id, request_id, input_digest, bundle_id, bundle_version, \
                bundle_digest, title, created_at, draft, revision, status, verdict \
             FROM assessments ORDER BY id",
        )
        .await;
        let ids: Vec<&str> = assessments.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(ids, ["id-a", "id-b", "id-c", "id-e"]);
        let revisions = stored(
            &mut conn,
            "SELECT assessment_id, revision, created_at, author, status, verdict, note, changes, \
                assessment FROM revisions ORDER BY assessment_id",
        )
        .await;
        let audit = stored(
            &mut conn,
            "SELECT at, caller, peer, tenant, assessment_id, action, result \
             FROM audit_log ORDER BY assessment_id",
        )
        .await;
        // "b" went together, "e" alone: the same columns but for the id
        let but_id = |rows: &[Vec<String>], i: usize, id_col: usize| {
            let id = &rows[i][id_col];
            let r: Vec<String> = rows[i].iter().map(|v| v.replace(id, "ID")).collect();
            r
        };
        assert_eq!(but_id(&assessments, 1, 0), but_id(&assessments, 3, 0));
        assert_eq!(but_id(&revisions, 1, 0), but_id(&revisions, 3, 0));
        assert_eq!(but_id(&audit, 1, 4), but_id(&audit, 3, 4));
        assert_eq!(assessments[1][11..], ["1", "draft", "needed"]);
        assert_eq!(revisions.len(), 4);
        assert_eq!(audit.len(), 4);
    }
}
