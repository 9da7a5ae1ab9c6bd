//! The files under `deploy/` are what operators install: the shipped
//! config starts the real server, and its settings take effect.

use std::process::Stdio;
use std::time::Duration;

use crate::helpers::{ServeProcess, client_at, fixture, free_port, request, root};

#[test]
fn the_shipped_config_starts_the_server_with_its_settings() {
    let addr = format!("127.0.0.1:{}", free_port());
    // the address (EVA_LISTEN) and the rules (a flag) are this machine's;
    // everything else comes from deploy/eva.yaml
    let server = ServeProcess::start_with(
        &addr,
        &["--config", "deploy/eva.yaml", "--rules", "rules"],
        Stdio::piped(),
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut client = client_at(&addr).await;
        let response = client
            .assess(request(fixture("school_closure.json")))
            .await
            .expect("assess")
            .into_inner();
        assert!(response.assessment.is_some());
    });
    let (status, log) = server.stop(Duration::from_secs(30));
    assert!(status.success(), "exit status {status:?}\n{log}");
    // log_format: json
    let first = log.lines().next().expect("a log line");
    let line: serde_json::Value = serde_json::from_str(first).expect("JSON log lines");
    assert!(line.is_object(), "{first}");
}

#[test]
fn the_unit_and_the_image_start_eva_with_the_shipped_config() {
    let unit = std::fs::read_to_string(root().join("deploy/eva.service")).expect("unit");
    assert!(unit.contains("ExecStart=/usr/bin/eva serve --config /etc/eva/eva.yaml"));
    let image = std::fs::read_to_string(root().join("deploy/Containerfile")).expect("image");
    assert!(image.contains("COPY deploy/eva.yaml /etc/eva/eva.yaml"));
    assert!(image.contains("COPY rules /usr/share/eva/rules"));
    let config = std::fs::read_to_string(root().join("deploy/eva.yaml")).expect("config");
    assert!(config.contains("rules: /usr/share/eva/rules"));
    // the database lives where the unit and the image let eva write
    assert!(config.contains("database_url: sqlite:///var/lib/eva/eva.db"));
    assert!(unit.contains("StateDirectory=eva"));
    assert!(image.contains("VOLUME /var/lib/eva"));
    // the unit waits longer than the grace period before it kills
    let grace: u64 = config
        .lines()
        .find_map(|l| l.strip_prefix("shutdown_grace_secs: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("grace");
    let stop: u64 = unit
        .lines()
        .find_map(|l| l.strip_prefix("TimeoutStopSec="))
        .and_then(|v| v.trim().parse().ok())
        .expect("TimeoutStopSec");
    assert!(stop > grace);
}
