//! Typed settings, layered: built-in defaults, then an optional YAML config
//! file, then environment variables and command-line flags (clap reads both;
//! a flag wins over its variable). Validated once, here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::app::ServerLimits;
use crate::rules::DEFAULT_MAX_TEXT_BYTES;

/// Settings of the service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address the gRPC server listens on.
    pub listen: SocketAddr,
    /// Directory of the rule bundle.
    pub rules: PathBuf,
    /// Largest text per draft, in bytes.
    pub max_text_bytes: usize,
    /// Log as JSON lines instead of human-readable text.
    pub log_json: bool,
    /// Timeouts and limits of calls and connections.
    pub server: ServerLimits,
    /// Where assessments are kept: `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            rules: PathBuf::from("rules"),
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
            log_json: false,
            server: ServerLimits {
                max_message_bytes: ServerLimits::message_bytes_for(DEFAULT_MAX_TEXT_BYTES),
                ..ServerLimits::default()
            },
            database_url: crate::store::DEFAULT_DATABASE_URL.to_string(),
        }
    }
}

/// The config file: every key optional, named as in [`Overrides`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    rules: Option<PathBuf>,
    max_text_bytes: Option<usize>,
    log_format: Option<String>,
    request_timeout_secs: Option<u64>,
    max_concurrent_requests: Option<usize>,
    stream_idle_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    max_streams_per_connection: Option<u32>,
    handshake_timeout_secs: Option<u64>,
    connection_idle_timeout_secs: Option<u64>,
    keepalive_interval_secs: Option<u64>,
    keepalive_timeout_secs: Option<u64>,
    shutdown_grace_secs: Option<u64>,
    database_url: Option<String>,
}

/// Values given on the command line or in the environment; clap reads
/// both, and a flag wins over its variable.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Overrides {
    /// Address to listen on [default: 127.0.0.1:50051].
    #[arg(long, env = "EVA_LISTEN")]
    pub listen: Option<String>,
    /// Rule bundle directory [default: ./rules].
    #[arg(long, env = "EVA_RULES")]
    pub rules: Option<PathBuf>,
    /// Largest text per draft in bytes [default: 1048576].
    #[arg(long, env = "EVA_MAX_TEXT_BYTES")]
    pub max_text_bytes: Option<usize>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "EVA_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Seconds a call (or one item of a stream) may take, counted from its
    /// arrival; a client's shorter grpc-timeout wins [default: 30].
    #[arg(long, env = "EVA_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Assessments running at once, unary and streamed; more wait for a
    /// slot until their deadline [default: 64].
    #[arg(long, env = "EVA_MAX_CONCURRENT_REQUESTS")]
    pub max_concurrent_requests: Option<usize>,
    /// Seconds a stream may wait for its next request, or for the client
    /// to take a response, before it is closed [default: 60].
    #[arg(long, env = "EVA_STREAM_IDLE_TIMEOUT_SECS")]
    pub stream_idle_timeout_secs: Option<u64>,
    /// Connections served at once; more wait to be accepted [default: 1000].
    #[arg(long, env = "EVA_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Calls in progress at once on one connection [default: 100].
    #[arg(long, env = "EVA_MAX_STREAMS_PER_CONNECTION")]
    pub max_streams_per_connection: Option<u32>,
    /// Seconds a new connection has to start HTTP/2 [default: 10].
    #[arg(long, env = "EVA_HANDSHAKE_TIMEOUT_SECS")]
    pub handshake_timeout_secs: Option<u64>,
    /// Seconds a connection without calls stays open [default: 300].
    #[arg(long, env = "EVA_CONNECTION_IDLE_TIMEOUT_SECS")]
    pub connection_idle_timeout_secs: Option<u64>,
    /// Seconds between HTTP/2 keep-alive pings [default: 60].
    #[arg(long, env = "EVA_KEEPALIVE_INTERVAL_SECS")]
    pub keepalive_interval_secs: Option<u64>,
    /// Seconds to wait for a ping's answer before closing [default: 20].
    #[arg(long, env = "EVA_KEEPALIVE_TIMEOUT_SECS")]
    pub keepalive_timeout_secs: Option<u64>,
    /// Seconds calls in progress get to finish on SIGTERM or SIGINT before
    /// the remaining connections are closed [default: 10].
    #[arg(long, env = "EVA_SHUTDOWN_GRACE_SECS")]
    pub shutdown_grace_secs: Option<u64>,
    /// Where assessments are kept: `sqlite://PATH` (created when missing)
    /// or `postgres://USER@HOST/DB` [default: sqlite://data/eva.db]
    #[arg(long, env = "EVA_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// A setting is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file cannot be read.
    #[error("cannot read config file `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid.
    #[error("config file `{path}`: {message}")]
    Parse {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// A value is invalid.
    #[error("{setting} `{value}` is invalid: {hint}")]
    Invalid {
        /// Which setting.
        setting: &'static str,
        /// The value.
        value: String,
        /// How to fix it.
        hint: &'static str,
    },
}

impl Settings {
    /// Layers defaults, the config file (if any) and overrides.
    pub fn load(config_file: Option<&Path>, o: Overrides) -> Result<Settings, ConfigError> {
        let file = match config_file {
            None => FileSettings::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                marked_yaml::from_yaml::<FileSettings>(0, &text).map_err(|e| {
                    ConfigError::Parse {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    }
                })?
            }
        };
        let d = Settings::default();
        let listen = match o.listen.or(file.listen) {
            None => d.listen,
            Some(s) => s.parse().map_err(|_| ConfigError::Invalid {
                setting: "listen",
                value: s.clone(),
                hint: "write an address and port such as 127.0.0.1:50051",
            })?,
        };
        let log_json = match o.log_format.or(file.log_format).as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    setting: "log_format",
                    value: other.to_string(),
                    hint: "use text or json",
                });
            }
        };
        const BYTES: &str = "give a positive number of bytes";
        const SECS: &str = "give a positive number of seconds";
        let secs = |setting, given: Option<u64>, default: Duration| {
            positive(setting, given, default.as_secs(), SECS).map(Duration::from_secs)
        };
        let (dc, dn) = (d.server.calls, d.server.connections);
        let max_text_bytes = positive(
            "max_text_bytes",
            o.max_text_bytes.or(file.max_text_bytes),
            d.max_text_bytes,
            BYTES,
        )?;
        let mut server = d.server;
        server.max_message_bytes = ServerLimits::message_bytes_for(max_text_bytes);
        let calls = &mut server.calls;
        calls.request_timeout = secs(
            "request_timeout_secs",
            o.request_timeout_secs.or(file.request_timeout_secs),
            dc.request_timeout,
        )?;
        calls.max_concurrent_assessments = positive(
            "max_concurrent_requests",
            o.max_concurrent_requests.or(file.max_concurrent_requests),
            dc.max_concurrent_assessments,
            "give a positive number of requests",
        )?;
        calls.stream_idle_timeout = secs(
            "stream_idle_timeout_secs",
            o.stream_idle_timeout_secs.or(file.stream_idle_timeout_secs),
            dc.stream_idle_timeout,
        )?;
        let conns = &mut server.connections;
        conns.max_connections = positive(
            "max_connections",
            o.max_connections.or(file.max_connections),
            dn.max_connections,
            "give a positive number of connections",
        )?;
        conns.max_streams_per_connection = positive(
            "max_streams_per_connection",
            o.max_streams_per_connection
                .or(file.max_streams_per_connection),
            dn.max_streams_per_connection,
            "give a positive number of calls",
        )?;
        conns.handshake_timeout = secs(
            "handshake_timeout_secs",
            o.handshake_timeout_secs.or(file.handshake_timeout_secs),
            dn.handshake_timeout,
        )?;
        conns.idle_timeout = secs(
            "connection_idle_timeout_secs",
            o.connection_idle_timeout_secs
                .or(file.connection_idle_timeout_secs),
            dn.idle_timeout,
        )?;
        conns.keepalive_interval = secs(
            "keepalive_interval_secs",
            o.keepalive_interval_secs.or(file.keepalive_interval_secs),
            dn.keepalive_interval,
        )?;
        conns.keepalive_timeout = secs(
            "keepalive_timeout_secs",
            o.keepalive_timeout_secs.or(file.keepalive_timeout_secs),
            dn.keepalive_timeout,
        )?;
        conns.shutdown_grace = secs(
            "shutdown_grace_secs",
            o.shutdown_grace_secs.or(file.shutdown_grace_secs),
            dn.shutdown_grace,
        )?;
        let database_url = o
            .database_url
            .or(file.database_url)
            .unwrap_or(d.database_url);
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                setting: "database_url",
                value: database_url
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .to_string()
                    + ":…",
                hint: "write sqlite://PATH (such as sqlite://data/eva.db) or postgres://USER@HOST/DATABASE",
            });
        }
        Ok(Settings {
            database_url,
            listen,
            rules: o.rules.or(file.rules).unwrap_or(d.rules),
            max_text_bytes,
            log_json,
            server,
        })
    }
}

/// The given value or the default; zero is refused.
fn positive<T: Copy + Default + PartialEq + ToString>(
    setting: &'static str,
    given: Option<T>,
    default: T,
    hint: &'static str,
) -> Result<T, ConfigError> {
    let value = given.unwrap_or(default);
    if value == T::default() {
        return Err(ConfigError::Invalid {
            setting,
            value: value.to_string(),
            hint,
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("eva.yaml");
        std::fs::write(&path, "listen: 127.0.0.1:6000\nmax_text_bytes: 2048\n").expect("write");
        let s = Settings::load(
            Some(&path),
            Overrides {
                listen: Some("127.0.0.1:7000".into()),
                ..Default::default()
            },
        )
        .expect("loads");
        assert_eq!(s.listen.port(), 7000);
        assert_eq!(s.max_text_bytes, 2048);
        assert_eq!(s.rules, PathBuf::from("rules"));
        assert_eq!(s.server.calls.request_timeout, Duration::from_secs(30));
        assert_eq!(s.server.connections.shutdown_grace, Duration::from_secs(10));
    }

    #[test]
    fn the_file_sets_timeouts_and_connection_limits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("eva.yaml");
        std::fs::write(
            &path,
            "shutdown_grace_secs: 3\nmax_connections: 7\nstream_idle_timeout_secs: 9\nmax_text_bytes: 8388608\n",
        )
        .expect("write");
        let s = Settings::load(Some(&path), Overrides::default()).expect("loads");
        assert_eq!(s.server.connections.shutdown_grace, Duration::from_secs(3));
        assert_eq!(s.server.connections.max_connections, 7);
        assert_eq!(s.server.calls.stream_idle_timeout, Duration::from_secs(9));
        assert_eq!(s.server.max_message_bytes, 8 * 1024 * 1024 + 256 * 1024);
    }

    #[test]
    fn rejects_zero_limits() {
        let err = Settings::load(
            None,
            Overrides {
                max_concurrent_requests: Some(0),
                ..Default::default()
            },
        )
        .expect_err("zero");
        assert_eq!(
            err.to_string(),
            "max_concurrent_requests `0` is invalid: give a positive number of requests"
        );
    }

    #[test]
    fn rejects_a_bad_listen_address() {
        let err = Settings::load(
            None,
            Overrides {
                listen: Some("nowhere".into()),
                ..Default::default()
            },
        )
        .expect_err("bad");
        assert!(err.to_string().contains("127.0.0.1:50051"), "{err}");
    }
}
