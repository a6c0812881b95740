//! The watcher example runs to completion without network.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn the_watcher_example_opens_an_incident_and_exits() {
    let out = Command::new(env!("CARGO_BIN_EXE_watcher-service"))
        .arg("--demo")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with("healthy: Some(200)"), "{stdout}");
    assert!(
        lines[1].starts_with("incident ") && lines[1].contains("(P0, created: true)"),
        "{stdout}"
    );
}

#[test]
fn a_typo_in_the_file_is_reported_with_its_line() {
    let dir = std::env::temp_dir().join(format!("ir-watcher-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("ir.toml");
    std::fs::write(
        &path,
        "[service]\nname = \"web\"\n[watch]\nintervl = \"5s\"\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_watcher-service"))
        .args(["--demo", path.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("ir.toml:4:1: key `watch.intervl`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
