//! Typed settings, layered: built-in defaults, then an optional YAML config
//! file, then environment variables and command-line flags (clap reads both;
//! a flag wins over its variable). Validated once, here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Settings of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Address the gRPC server listens on.
    pub listen: SocketAddr,
    /// Directory of the rule bundle.
    pub rules: PathBuf,
    /// Largest text per draft, in bytes.
    pub max_text_bytes: usize,
    /// Log as JSON lines instead of human-readable text.
    pub log_json: bool,
    /// Seconds before a request is cancelled.
    pub request_timeout_secs: u64,
    /// Requests served at once.
    pub max_concurrent_requests: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            rules: PathBuf::from("rules"),
            max_text_bytes: 1024 * 1024,
            log_json: false,
            request_timeout_secs: 30,
            max_concurrent_requests: 64,
        }
    }
}

/// The config file: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    rules: Option<PathBuf>,
    max_text_bytes: Option<usize>,
    log_format: Option<String>,
    request_timeout_secs: Option<u64>,
    max_concurrent_requests: Option<usize>,
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
    /// Seconds before a request is cancelled [default: 30].
    #[arg(long, env = "EVA_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Requests served at once; more wait [default: 64].
    #[arg(long, env = "EVA_MAX_CONCURRENT_REQUESTS")]
    pub max_concurrent_requests: Option<usize>,
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
    pub fn load(config_file: Option<&Path>, overrides: Overrides) -> Result<Settings, ConfigError> {
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
        let defaults = Settings::default();
        let listen = match overrides.listen.or(file.listen) {
            None => defaults.listen,
            Some(s) => s.parse().map_err(|_| ConfigError::Invalid {
                setting: "listen",
                value: s.clone(),
                hint: "write an address and port such as 127.0.0.1:50051",
            })?,
        };
        let max_text_bytes = positive(
            "max_text_bytes",
            overrides.max_text_bytes.or(file.max_text_bytes),
            defaults.max_text_bytes,
            "give a positive number of bytes",
        )?;
        let log_json = match overrides.log_format.or(file.log_format).as_deref() {
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
        let request_timeout_secs = positive(
            "request_timeout_secs",
            overrides.request_timeout_secs.or(file.request_timeout_secs),
            defaults.request_timeout_secs,
            "give a positive number of seconds",
        )?;
        let max_concurrent_requests = positive(
            "max_concurrent_requests",
            overrides
                .max_concurrent_requests
                .or(file.max_concurrent_requests),
            defaults.max_concurrent_requests,
            "give a positive number of requests",
        )?;
        Ok(Settings {
            request_timeout_secs,
            max_concurrent_requests,
            listen,
            rules: overrides.rules.or(file.rules).unwrap_or(defaults.rules),
            max_text_bytes,
            log_json,
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
