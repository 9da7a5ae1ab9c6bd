//! PostgreSQL, for production. The server may be down when eva starts:
//! the pool connects lazily, the schema is brought up to date on the first
//! call that reaches the database, and until then calls are UNAVAILABLE.
//! The pool reconnects by itself when the server comes back; errors name
//! the problem, never the connection string.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::sql::{APPLIED_MIGRATIONS, WRITE_ATTEMPTS, Write, sql_store};
use super::{Schema, StoreError, check_schema};

/// Connections of the pool.
const CONNECTIONS: u32 = 16;

/// How long a call waits for a connection before the database counts as
/// unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Assessments in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: sqlx::PgPool,
    /// What the first call that reaches the database does with the schema.
    schema: Schema,
    /// Set once the schema is up to date (or found to be).
    migrated: Arc<tokio::sync::OnceCell<()>>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl PostgresStore {
    /// Connects to `url` (`postgres://…`) and applies the migrations the
    /// database lacks.
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::open_with_schema(url, Schema::Migrate).await
    }

    /// Connects to `url`, doing `schema` with its schema: with
    /// [`Schema::AsIs`] the database must be at this eva's schema.
    pub async fn open_with_schema(url: &str, schema: Schema) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Config(format!("the PostgreSQL URL is invalid: {}", redacted(e)))
        })?;
        PostgresStore::connect(options, schema).await
    }

    /// Connects with `options` (tests use them to choose a schema) and
    /// applies the migrations the database lacks. A server that cannot be
    /// reached is no error here: the store answers UNAVAILABLE until it
    /// can be.
    pub async fn open_with(options: PgConnectOptions) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect(options, Schema::Migrate).await
    }

    async fn connect(
        options: PgConnectOptions,
        schema: Schema,
    ) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        let store = PostgresStore {
            pool,
            schema,
            migrated: Arc::default(),
        };
        match store.ready().await {
            Ok(()) => {}
            Err(StoreError::Unavailable(why)) => {
                tracing::warn!(%why, "PostgreSQL cannot be reached; calls are UNAVAILABLE until it can");
            }
            Err(e) => return Err(e),
        }
        Ok(store)
    }

    /// Brings the schema up to date (or, as it is, checks it), once.
    async fn ready(&self) -> Result<(), StoreError> {
        self.migrated
            .get_or_try_init(|| async {
                if self.schema == Schema::AsIs {
                    let applied = sqlx::query_scalar::<_, i64>(APPLIED_MIGRATIONS)
                        .fetch_all(&self.pool)
                        .await;
                    let applied = match applied {
                        Ok(versions) => Some(versions),
                        // no such table
                        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42P01") => {
                            None
                        }
                        Err(e) => return Err(Self::error(e)),
                    };
                    return check_schema(applied, &MIGRATOR, "the PostgreSQL database");
                }
                MIGRATOR.run(&self.pool).await.map_err(|e| match e {
                    sqlx::migrate::MigrateError::Execute(e) => match Self::error(e) {
                        StoreError::Unavailable(m) => StoreError::Unavailable(m),
                        other => StoreError::Config(format!(
                            "cannot bring the PostgreSQL schema up to date: {other}"
                        )),
                    },
                    e => StoreError::Config(format!(
                        "cannot bring the PostgreSQL schema up to date: {e}"
                    )),
                })
            })
            .await
            .map(|_| ())
    }

    /// Runs `write` in a transaction of its own, again while it fails
    /// with an error worth a retry.
    async fn write(&self, write: Write) -> Result<bool, StoreError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let attempt = async {
                let mut tx = self.pool.begin().await?;
                let done = Self::run_write(&mut tx, &write).await?;
                if done {
                    tx.commit().await?;
                } else {
                    tx.rollback().await?;
                }
                Ok::<bool, sqlx::Error>(done)
            };
            match attempt.await {
                Ok(done) => return Ok(done),
                Err(e) if tries < WRITE_ATTEMPTS && Self::transient(&e) => {
                    tracing::debug!(error = %e, tries, "serialization conflict; trying again");
                    tokio::time::sleep(Duration::from_millis(5 << tries.min(6))).await;
                }
                Err(e) => return Err(Self::error(e)),
            }
        }
    }

    /// A serialization failure or deadlock: the transaction can be run
    /// again.
    fn transient(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("40001" | "40P01")))
    }

    fn error(e: sqlx::Error) -> StoreError {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(redacted(e))
            }
            sqlx::Error::Database(d)
                if d.code().is_some_and(|c| {
                    // connection, operator intervention, insufficient
                    // resources, a read-only standby, credentials, a
                    // database that is not there: the database is not
                    // usable now, whatever the call
                    ["08", "57", "53", "28", "3D"]
                        .iter()
                        .any(|p| c.starts_with(p))
                        || c == "25006"
                }) =>
            {
                StoreError::Unavailable(d.message().to_string())
            }
            sqlx::Error::Database(d) => StoreError::Failed(d.message().to_string()),
            e => StoreError::Failed(redacted(e)),
        }
    }
}

/// The error's own words without anything that looks like a connection
/// string (which may carry a password).
fn redacted(e: impl std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .map(|w| {
            if w.contains("://") {
                "<database URL>"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

sql_store!(PostgresStore, sqlx::Postgres, "postgres");
