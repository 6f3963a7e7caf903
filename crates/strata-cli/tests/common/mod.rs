//! What the tests that need the test registries share.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod serve;

use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The registries' addresses, starting them (idempotently) when the test command has not.
pub fn registries() -> &'static HashMap<String, String> {
    static ENV: OnceLock<HashMap<String, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let out = Command::new(root().join("scripts/registry.sh"))
            .arg("start")
            .stderr(Stdio::inherit())
            .output()
            .expect("scripts/registry.sh");
        assert!(out.status.success(), "scripts/registry.sh start failed");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    })
}

pub fn open_registry() -> String {
    registries()["STRATA_REGISTRY_OPEN"].clone()
}

pub fn auth_registry() -> String {
    registries()["STRATA_REGISTRY_AUTH"].clone()
}

pub fn fixture(name: &str) -> String {
    let dir = std::env::var_os("STRATA_FIXTURES").map_or_else(
        || root().join("target/fixtures/images"),
        |d| PathBuf::from(d).join("images"),
    );
    dir.join(name).to_string_lossy().into_owned()
}

/// Where scripts/cache-fixtures.sh keeps its two builds (it builds them when they are not there).
pub fn cache_builds() -> PathBuf {
    let out = Command::new(root().join("scripts/cache-fixtures.sh"))
        .output()
        .expect("scripts/cache-fixtures.sh");
    assert!(
        out.status.success(),
        "scripts/cache-fixtures.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

pub const STRATA: &str = env!("CARGO_BIN_EXE_strata");

/// Runs `strata ARGS` with `stdin` on standard input: (exit code, stdout, stderr).
pub fn run_with(args: &[&str], stdin: &str) -> (i32, Vec<u8>, String) {
    let mut child = Command::new(STRATA)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Runs a bash `script` in `dir` for a test's inputs, failing the test (naming `tools`, which
/// scripts/setup.sh test installs) when it fails.
#[track_caller]
pub fn bash_in(dir: &std::path::Path, script: &str, tools: &str) {
    let status = Command::new("bash")
        .args(["-c", script])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "{tools} (scripts/setup.sh test installs them)"
    );
}

pub fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    run_with(args, "")
}

#[track_caller]
pub fn json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "strata {args:?} failed: {err}");
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("strata {args:?}: not JSON ({e})"))
}
