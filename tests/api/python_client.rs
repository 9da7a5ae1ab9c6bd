//! A non-Rust client (Python grpcio) discovers the API by reflection and gets
//! an assessment from `eva serve` running as a process.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{ServeProcess, free_port, root, succeeded};

#[test]
fn a_python_client_discovers_the_api_by_reflection_and_gets_an_assessment() {
    let python_ready = Command::new("python3")
        .args(["-c", "import grpc, grpc_reflection, grpc_health"])
        .status()
        .is_ok_and(|s| s.success());
    if !python_ready {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "python3 with grpcio, grpcio-reflection and grpcio-health-checking is needed under CI"
        );
        eprintln!("skipped: pip install grpcio grpcio-reflection grpcio-health-checking");
        return;
    }
    let addr = format!("127.0.0.1:{}", free_port());
    let _server = ServeProcess::start(&addr, Stdio::null());
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "eva serve did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = Command::new("python3")
        .arg("tests/e2e/reflection_client.py")
        .arg(&addr)
        .arg("tests/fixtures/school_closure.json")
        .current_dir(root())
        .output()
        .expect("python runs");
    succeeded(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["verdict"], "SCREENING_VERDICT_REQUIRED");
    assert_eq!(v["rendering_language"], "sv");
    assert!(v["impacts"].as_u64().is_some_and(|n| n > 0));
    let services: Vec<&str> = v["services"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(
        services.contains(&"eva.v1.AssessmentService")
            && services.contains(&"eva.v1.RuleService")
            && services.contains(&"grpc.health.v1.Health"),
        "{services:?}"
    );
}
