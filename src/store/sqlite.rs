//! SQLite: the embedded default. One file (`data/eva.db` unless
//! configured), write-ahead log, `synchronous=FULL` so that an
//! acknowledged assessment survives a crash of the process or the machine.
//! Writes go to one committer task that owns the write connection: it
//! takes every write waiting, runs each in a savepoint of one transaction
//! and commits them together (group commit), so that concurrent writers
//! share one durable commit; each is answered only after that commit. A
//! batch that meets a busy database (another process writing) is tried
//! again; callers never see it.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use tokio::sync::{mpsc, oneshot};

use super::StoreError;
use super::sql::{WRITE_ATTEMPTS, Write, sql_store};

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
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("the SQLite URL is invalid: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let file = options.get_filename().to_path_buf();
        let file = file.as_path();
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Config(format!(
                    "cannot create the directory `{}` for the database: {e}",
                    dir.display()
                ))
            })?;
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|e| opening(file, e))?;
        MIGRATOR.run(&writer).await.map_err(|e| {
            StoreError::Config(format!(
                "cannot bring the database `{}` up to date: {e}",
                file.display()
            ))
        })?;
        let pool = SqlitePoolOptions::new()
            .max_connections(CONNECTIONS)
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
        let closed = || StoreError::Unavailable("the store's committer has stopped".into());
        self.writes
            .send((write, reply))
            .await
            .map_err(|_| closed())?;
        outcome.await.map_err(|_| closed())?
    }

    /// Runs `batch` in one transaction, each write in a savepoint so that
    /// one that fails or changes nothing leaves the others; the outcomes in
    /// order, once committed. `Err` when the transaction itself failed:
    /// nothing of the batch was kept.
    async fn commit(
        conn: &mut sqlx::SqliteConnection,
        batch: &[Job],
    ) -> Result<Vec<Result<bool, StoreError>>, sqlx::Error> {
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
        let run = async {
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
        };
        let result = run.await;
        if result.is_err() {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        }
        result
    }

    /// Always ready: the file was opened and brought up to date at start.
    async fn ready(&self) -> Result<(), StoreError> {
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
