//! `pulse demo` end to end: it loads the demo data, serves it, prints a URL, a sign-in
//! and a ready `curl` line that work, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_what_it_prints() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["--db", &db, "demo", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Read until the curl line: the URL, the password and the token are all printed before it.
    let lines = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let done = line.trim_start().starts_with('\'') && line.contains("/api/v1/metrics/dora");
            seen.push(line);
            if done {
                break;
            }
        }
        seen
    });
    let lines = tokio::time::timeout(Duration::from_secs(60), lines).await.expect("the demo started").unwrap();
    let text = lines.join("\n");
    let after = |marker: &str| {
        let line = lines.iter().find(|l| l.contains(marker)).unwrap_or_else(|| panic!("no {marker:?} in:\n{text}"));
        line[line.find(marker).unwrap() + marker.len()..].trim().to_owned()
    };
    let base = after("Serving the demo at").split_whitespace().next().unwrap().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{text}");
    let token = after("Authorization: Bearer").split('\'').next().unwrap().to_owned();
    let url = lines.last().unwrap().trim().trim_matches('\'').to_owned();
    let password = after("password").to_owned();

    let client = reqwest::Client::new();
    let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let report: Value = response.json().await.unwrap();
    assert!(report["deployment_frequency"]["deployments"].as_u64().unwrap() > 0);
    assert!(report["series"].as_array().is_some_and(|s| !s.is_empty()), "the printed line asks for a series");

    let login = json!({ "client": "default", "email": "admin@demo.pulse", "password": password });
    let response = client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await.unwrap();
    assert_eq!(response.status(), 200, "the printed sign-in works");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap());
    let exit = tokio::time::timeout(Duration::from_secs(30), exit).await.expect("the demo stopped on SIGTERM").unwrap();
    assert!(exit.success(), "{exit:?}");
}
