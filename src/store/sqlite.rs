//! SQLite: the embedded default. One file (`data/eva.db` unless
//! configured), write-ahead log, `synchronous=FULL` so that an
//! acknowledged assessment survives a crash of the process or the machine.
//! Writers wait for each other (`busy_timeout`) and a write that still
//! meets a busy database is tried again; callers never see it.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;
use super::sql::sql_store;

/// Connections of the read pool: readers run beside the one writer SQLite
/// allows.
const CONNECTIONS: u32 = 8;

/// How long a writer waits for another before SQLite reports it busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Assessments in an SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: sqlx::SqlitePool,
    /// One connection: writers queue here in turn instead of polling
    /// SQLite's lock, which sleeps ever longer while another writes.
    writer: sqlx::SqlitePool,
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
        Ok(SqliteStore { pool, writer })
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

sql_store!(SqliteStore, sqlx::Sqlite, "sqlite");
