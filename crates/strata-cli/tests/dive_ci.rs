//! `strata ci` with a `.dive-ci` file: the rules it sets are judged on dive's numbers, which an
//! independent implementation of dive's formula (`tests/data/dive_formula.py`, Python's
//! tarfile over the layer tars, following dive's Go code) computes for the same real images;
//! flags are judged on Strata's. The image that shows the difference is made by umoci here
//! (`tests/data/dir-deletion-image.sh`): a directory written, then deleted with `rm -rf`, which
//! dive counts as no waste and Strata as 1.2 MB still shipped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{STRATA, fixture, root};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn dir_deletion_image() -> &'static PathBuf {
    static IMAGE: OnceLock<PathBuf> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let dir = root().join("target/dive-ci");
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("dir-deletion.oci.tar");
        let status =
            Command::new(root().join("crates/strata-cli/tests/data/dir-deletion-image.sh"))
                .arg(&out)
                .status()
                .expect("umoci (scripts/setup.sh test installs it)");
        assert!(status.success(), "dir-deletion-image.sh failed");
        out
    })
}

/// dive's numbers for an archive, by the independent implementation.
fn dive_formula(archive: &Path) -> Value {
    let out = Command::new("python3")
        .arg(root().join("crates/strata-cli/tests/data/dive_formula.py"))
        .arg(archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `strata ci ARGS` run in `cwd`: (exit code, JSON report).
fn ci_in(cwd: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(STRATA)
        .current_dir(cwd)
        .arg("ci")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

fn rule<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap()
}

#[test]
fn strata_reports_dive_s_numbers_as_dive_computes_them() {
    let empty = tempdir();
    let mut archives: Vec<PathBuf> = [
        "waste3.docker.tar",
        "waste50.docker.tar",
        "waste-demo.docker.tar",
        "layers.docker.tar",
        "layers.oci.tar",
        "hints.docker.tar",
        "zeros.oci.tar",
    ]
    .iter()
    .map(|f| PathBuf::from(fixture(f)))
    .collect();
    archives.push(dir_deletion_image().clone());
    for a in &archives {
        let want = dive_formula(a);
        let (_, got) = ci_in(&empty, &[a.to_str().unwrap()]);
        let name = a.display();
        assert_eq!(got["dive_wasted_bytes"], want["wasted_bytes"], "{name}");
        let close =
            |x: &Value, y: &Value| (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-12;
        assert!(
            close(&got["dive_efficiency"], &want["efficiency"]),
            "{name}: {got} vs {want}"
        );
        assert!(
            close(
                &got["dive_user_wasted_percent"],
                &want["user_wasted_percent"]
            ),
            "{name}: {got} vs {want}"
        );
    }
}

#[test]
fn rules_from_dive_ci_are_judged_on_dive_s_numbers_and_flags_on_strata_s() {
    let image = dir_deletion_image();
    let image = image.to_str().unwrap();
    let dive = dive_formula(Path::new(image));
    let dir = tempdir();
    // A threshold between the two numbers: dive's efficiency (1.0 here: it does not see what
    // `rm -rf /big` left) passes it, Strata's (every byte but base.txt is waste) does not.
    std::fs::write(
        dir.join(".dive-ci"),
        "rules:\n  lowestEfficiency: 0.9\n  highestWastedBytes: 1MB\n  highestUserWastedPercent: 50%\n",
    )
    .unwrap();
    assert!(dive["efficiency"].as_f64().unwrap() >= 0.9, "{dive}");
    let (code, from_file) = ci_in(&dir, &[image]);
    assert_eq!(code, 0, "passes on dive's numbers: {from_file}");
    assert_eq!(from_file["ci_config"], ".dive-ci");
    for name in [
        "lowestEfficiency",
        "highestWastedBytes",
        "highestUserWastedPercent",
    ] {
        let r = rule(&from_file, name);
        assert_eq!(
            (r["status"].as_str(), r["judged_on"].as_str()),
            (Some("PASS"), Some("dive")),
            "{r}"
        );
        assert_eq!(r["source"], "dive-ci");
    }
    // The same thresholds as flags: judged on Strata's numbers, they fail.
    let (code, from_flags) = ci_in(
        &dir,
        &[
            "--lowest-efficiency",
            "0.9",
            "--highest-wasted-bytes",
            "1000000",
            "--highest-user-wasted-percent",
            "0.5",
            image,
        ],
    );
    assert_eq!(code, 1, "{from_flags}");
    for name in [
        "lowestEfficiency",
        "highestWastedBytes",
        "highestUserWastedPercent",
    ] {
        let r = rule(&from_flags, name);
        assert_eq!(
            (r["status"].as_str(), r["judged_on"].as_str()),
            (Some("FAIL"), Some("strata")),
            "{r}"
        );
    }
    // `disabled`, and a file named by --ci-config.
    let other = dir.join("strict.yaml");
    std::fs::write(
        &other,
        "rules:\n  lowestEfficiency: disabled\n  highestUserWastedPercent: \"0.0\"\n",
    )
    .unwrap();
    let (code, v) = ci_in(&dir, &["--ci-config", other.to_str().unwrap(), image]);
    assert_eq!(rule(&v, "lowestEfficiency")["status"], "SKIP");
    assert_eq!(
        rule(&v, "highestUserWastedPercent")["status"],
        "PASS",
        "dive's share is 0"
    );
    assert_eq!(code, 0);
    // A malformed file is a usage error that names the file, line and rule.
    std::fs::write(&other, "rules:\n  highestWastedBytes: lots\n").unwrap();
    let out = Command::new(STRATA)
        .current_dir(&dir)
        .args(["ci", "--ci-config", other.to_str().unwrap(), image])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("strict.yaml:2: rules.highestWastedBytes") && err.contains("`lots`"),
        "{err}"
    );
}

fn tempdir() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "strata-dive-ci-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
