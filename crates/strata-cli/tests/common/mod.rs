//! What the tests that need the test registries share.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
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
