//! A non-Rust client (Python grpcio) discovers the API by reflection and gets
//! an assessment from `eva serve` running as a process.

use std::process::{Command, Stdio};

use crate::helpers::{ServeProcess, free_port, python_ready, root, succeeded};

#[test]
fn a_python_client_discovers_the_api_by_reflection_and_gets_an_assessment() {
    if !python_ready() {
        return;
    }
    let addr = format!("127.0.0.1:{}", free_port());
    let _server = ServeProcess::start(&addr, Stdio::null());
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
