//! `strata packages` and the package part of `strata diff` on images whose packages were
//! installed by the real package managers (scripts/package-fixtures.sh, which also records
//! what each package manager says about every layer): dpkg (`dpkg-query --admindir=… -W` and
//! `-L`), rpm 4.18 (`rpm -qa --qf`, `rpm -q --qf '[%{FILEMODES:perms}…]'`), pip (`pip list
//! --path`, `importlib.metadata`), npm (`npm ls --all --json`), Go (`go version -m`), cargo
//! auditable (`rust-audit-info`), jars (`unzip -p`). No expected list is written here: every
//! expectation is one of those answers.
//!
//! Built from documented formats rather than by a tool, because no tool here writes them:
//! the rpm Berkeley DB `Packages` and ndb `Packages.db` (scripts/rpmdb-formats.py, from the
//! headers rpm wrote to rpmdb.sqlite; rpm's own bdb_ro backend reads the Berkeley DB one back
//! as a check), and Alpine's `lib/apk/db/installed` (no apk runs here; the oracle is what the
//! script wrote). The SBOMs are checked by validators from PyPI (spdx-tools, cyclonedx-python-lib,
//! packageurl-python) installed by scripts/sbom-validators.sh.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{STRATA, json, run};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The package fixtures' directory, built (or found in the cache) once per test run.
fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = Command::new(common::root().join("scripts/package-fixtures.sh"))
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("scripts/package-fixtures.sh");
        assert!(out.status.success(), "scripts/package-fixtures.sh failed");
        PathBuf::from(
            String::from_utf8(out.stdout)
                .unwrap()
                .trim()
                .lines()
                .last()
                .unwrap(),
        )
    })
}

fn image(name: &str) -> String {
    fixtures()
        .join("images")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn oracle(path: &str) -> String {
    std::fs::read_to_string(fixtures().join("oracle").join(path))
        .unwrap_or_else(|e| panic!("oracle {path}: {e}"))
}

/// `strata packages --format json [--layer N] IMAGE`.
fn packages(img: &str, layer: Option<usize>) -> Value {
    let mut args = vec![
        "packages".to_owned(),
        "--format".into(),
        "json".into(),
        image(img),
    ];
    if let Some(l) = layer {
        args.push("--layer".into());
        args.push(l.to_string());
    }
    json(&common::args(&args))
}

fn of<'a>(report: &'a Value, ecosystem: &str) -> Vec<&'a Value> {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"] == ecosystem)
        .collect()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_owned()
}

/// dpkg-query's installed (`ii`) packages: (name, version, arch).
fn dpkg_oracle(layer: usize) -> BTreeSet<(String, String, String)> {
    oracle(&format!("debian/layer{layer}.dpkg-query.txt"))
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 4 && f[0].trim() == "ii").then(|| (f[1].into(), f[2].into(), f[3].into()))
        })
        .collect()
}

#[track_caller]
fn check_debian_layer(img: &str, layer: usize) {
    let r = packages(img, Some(layer));
    let got: BTreeSet<(String, String, String)> = of(&r, "deb")
        .iter()
        .map(|p| (s(&p["name"]), s(&p["version"]), s(&p["arch"])))
        .collect();
    let want = dpkg_oracle(layer);
    assert_eq!(
        got.difference(&want).collect::<Vec<_>>(),
        Vec::<&(String, String, String)>::new(),
        "{img} layer {layer}: strata lists packages dpkg-query does not"
    );
    assert_eq!(
        want.difference(&got).collect::<Vec<_>>(),
        Vec::<&(String, String, String)>::new(),
        "{img} layer {layer}: dpkg-query lists packages strata does not"
    );
}

#[test]
fn debian_packages_per_layer_are_what_dpkg_query_says() {
    for img in ["debian.docker.tar", "debian.oci.tar"] {
        for layer in 1..=4 {
            check_debian_layer(img, layer);
        }
    }
}

/// dpkg's own ordering, as the oracle for upgrade and downgrade.
fn dpkg_newer(a: &str, b: &str) -> bool {
    Command::new("dpkg")
        .args(["--compare-versions", b, "gt", a])
        .status()
        .unwrap()
        .success()
}

#[test]
fn debian_layer_changes_are_the_difference_between_dpkg_query_answers() {
    let r = packages("debian.docker.tar", None);
    let history = r["history"].as_array().unwrap();
    let by_id = |id: &Value| history.iter().find(|p| p["id"] == *id).unwrap();
    for layer in 2..=4 {
        let (before, after) = (dpkg_oracle(layer - 1), dpkg_oracle(layer));
        let names = |set: &BTreeSet<(String, String, String)>| -> BTreeMap<String, String> {
            set.iter().map(|(n, v, _)| (n.clone(), v.clone())).collect()
        };
        let (b, a) = (names(&before), names(&after));
        let want_added: BTreeSet<String> =
            a.keys().filter(|n| !b.contains_key(*n)).cloned().collect();
        let want_removed: BTreeSet<String> =
            b.keys().filter(|n| !a.contains_key(*n)).cloned().collect();
        let want_changed: BTreeSet<(String, String, String, bool)> = a
            .iter()
            .filter_map(|(n, v)| {
                let old = b.get(n).filter(|o| *o != v)?;
                Some((n.clone(), old.clone(), v.clone(), dpkg_newer(old, v)))
            })
            .collect();
        let lp = r["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["layer"] == layer)
            .unwrap();
        let ids = |k: &str| -> BTreeSet<String> {
            lp[k]
                .as_array()
                .unwrap()
                .iter()
                .map(by_id)
                .filter(|p| p["ecosystem"] == "deb")
                .map(|p| s(&p["name"]))
                .collect()
        };
        assert_eq!(ids("added"), want_added, "layer {layer} added");
        assert_eq!(ids("removed"), want_removed, "layer {layer} removed");
        let changed: BTreeSet<(String, String, String, bool)> = lp["changed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    s(&c["name"]),
                    s(&c["from_version"]),
                    s(&c["to_version"]),
                    c["direction"] == "upgrade",
                )
            })
            .collect();
        assert_eq!(changed, want_changed, "layer {layer} changed");
        // Each change names the step that made its layer.
        assert!(
            s(&lp["step"]).contains(if layer == 4 { "COPY" } else { "dpkg" }),
            "{lp}"
        );
    }
}

#[test]
fn debian_file_owners_are_what_dpkg_query_lists() {
    let r = packages("debian.docker.tar", None);
    // The oracle: `dpkg-query -L` per package, each path resolved through the image's
    // symlinked directories (merged /usr) and kept when it is not a directory.
    let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for block in oracle("debian/layer4.dpkg-query-L.resolved.txt").split("\n\n") {
        let mut lines = block.lines();
        let Some(name) = lines.next() else { continue };
        want.insert(name.to_owned(), lines.map(str::to_owned).collect());
    }
    assert!(want.len() > 50, "{} packages in the -L oracle", want.len());
    let mut compared = 0;
    for p in of(&r, "deb") {
        let name = s(&p["name"]);
        let got: BTreeSet<String> = p["files"]
            .as_array()
            .map(|f| f.iter().map(s).collect())
            .unwrap_or_default();
        let Some(w) = want.get(&name) else {
            panic!("{name} is not in dpkg-query's answer")
        };
        assert_eq!(&got, w, "files of {name}");
        compared += 1;
    }
    assert_eq!(compared, want.len());
}

#[test]
fn a_package_removed_later_still_ships_and_is_found() {
    let r = packages("debian.docker.tar", None);
    let hint = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["code"] == "package-removed-later")
        .expect("the package-removed-later finding");
    // The oracle: installed in some layer (dpkg-query), gone in the last.
    let last: BTreeSet<String> = dpkg_oracle(4).into_iter().map(|p| p.0).collect();
    let ever: BTreeSet<String> = (1..=3).flat_map(dpkg_oracle).map(|p| p.0).collect();
    let want: BTreeSet<&String> = ever.difference(&last).collect();
    let got: BTreeSet<String> = hint["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["note"]).split(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(got.iter().collect::<BTreeSet<_>>(), want, "{hint:#}");
    // Its bytes are the bytes of its files in the layer that installed it: strata-tool's are
    // the files `dpkg-deb -c` lists in its .deb.
    let tool = hint["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| s(&e["note"]).starts_with("strata-tool "))
        .unwrap();
    let deb_bytes: u64 = oracle("debian/strata-tool.dpkg-deb-c.txt")
        .lines()
        .filter(|l| l.starts_with('-'))
        .map(|l| l.split_whitespace().nth(2).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(tool["bytes"], deb_bytes, "{tool}");
    assert_eq!(tool["layer"], 2);
}

/// `go version -m`'s modules: (path, version, main), a local-directory replacement keeping the
/// required module.
fn go_oracle() -> BTreeSet<(String, String, bool)> {
    let mut out: Vec<(String, String, bool)> = Vec::new();
    for l in oracle("go-version-m.txt").lines() {
        let f: Vec<&str> = l.trim().split('\t').collect();
        match f.as_slice() {
            ["mod", p, v, ..] => out.push(((*p).into(), (*v).into(), true)),
            ["dep", p, v, ..] => out.push(((*p).into(), (*v).into(), false)),
            ["=>", p, v, ..] if !p.starts_with(['.', '/']) => {
                let last = out.last_mut().unwrap();
                (last.0, last.1) = ((*p).into(), (*v).into());
            }
            _ => {}
        }
    }
    out.into_iter().collect()
}

#[test]
fn an_unowned_go_binary_is_found_with_its_modules() {
    let r = packages("debian.docker.tar", None);
    let u = r["unowned_executables"].as_array().unwrap();
    let go = u
        .iter()
        .find(|f| f["path"] == "usr/local/bin/strata-go-app")
        .expect("the Go binary is unowned");
    assert_eq!(go["kind"], "go-binary");
    assert_eq!(go["layer"], 4);
    let got: BTreeSet<(String, String, bool)> = of(&r, "go")
        .iter()
        .map(|p| (s(&p["name"]), s(&p["version"]), p["main"] == true))
        .collect();
    assert_eq!(got, go_oracle());
    // Every other unowned executable is one no dpkg-query -L lists.
    let listed: BTreeSet<String> = oracle("debian/layer4.dpkg-query-L.resolved.txt")
        .lines()
        .map(str::to_owned)
        .collect();
    for f in u {
        assert!(
            !listed.contains(&s(&f["path"])),
            "{f} is owned according to dpkg-query -L"
        );
    }
}

/// `rpm -qa --qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\t%{LICENSE}'`.
fn rpm_oracle(file: &str) -> BTreeSet<(String, String, String, String)> {
    oracle(file)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 4).then(|| (f[0].into(), f[1].into(), f[2].into(), f[3].into()))
        })
        .collect()
}

fn rpm_got(r: &Value) -> BTreeSet<(String, String, String, String)> {
    of(r, "rpm")
        .iter()
        .map(|p| {
            let v = s(&p["version"]);
            // EPOCHNUM prints 0 for no epoch.
            let v = if v.contains(':') { v } else { format!("0:{v}") };
            (s(&p["name"]), v, s(&p["arch"]), s(&p["license"]))
        })
        .collect()
}

#[test]
fn rpm_packages_per_layer_are_what_rpm_qa_says() {
    for img in ["rpm.docker.tar", "rpm.oci.tar"] {
        for layer in [2, 3] {
            let r = packages(img, Some(layer));
            assert_eq!(
                rpm_got(&r),
                rpm_oracle(&format!("rpm/layer{layer}.rpm-qa.txt")),
                "{img} layer {layer}"
            );
        }
    }
    // Files: `rpm -q --qf '[%{FILEMODES:perms}\t%{FILENAMES}\n]'`, directories left out.
    let r = packages("rpm.docker.tar", None);
    for p in of(&r, "rpm") {
        let name = s(&p["name"]);
        let want: BTreeSet<String> = oracle("rpm/layer3.rpm-files.txt")
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() == 3 && f[0] == name && !f[1].starts_with('d'))
                    .then(|| f[2].trim_start_matches('/').to_owned())
            })
            .collect();
        let got: BTreeSet<String> = p["files"].as_array().unwrap().iter().map(s).collect();
        assert_eq!(got, want, "files of {name}");
    }
    // Layer 3 erased alpha, upgraded beta (rpm's own ordering: `rpm -U` refuses a downgrade).
    let lp = &r["layers"][2];
    assert_eq!(lp["changed"][0]["name"], "strata-beta");
    assert_eq!(lp["changed"][0]["direction"], "upgrade");
}

#[test]
fn berkeley_db_and_ndb_rpm_databases_hold_what_rpm_qa_said() {
    // rpm's own read-only Berkeley DB backend reads the generated Packages back: the
    // generator follows the format rpm reads.
    let want = rpm_oracle("rpm/layer3.rpm-qa.txt");
    assert_eq!(
        rpm_oracle("rpm/bdb_ro-qa.txt"),
        want,
        "rpm --define '_db_backend bdb_ro' -qa on the generated Packages: {}",
        oracle("rpm/bdb_ro.stderr")
    );
    for img in [
        "rpm-bdb.docker.tar",
        "rpm-ndb.docker.tar",
        "rpm-ndb.oci.tar",
    ] {
        let r = packages(img, None);
        assert_eq!(rpm_got(&r), want, "{img}");
        // The same packages as in the sqlite image, so their files are found too.
        assert!(
            of(&r, "rpm")
                .iter()
                .all(|p| p["n_files"].as_u64().unwrap() > 0),
            "{img}: {r:#}"
        );
    }
}

#[test]
fn python_distributions_per_layer_are_what_pip_list_says() {
    for layer in 2..=6 {
        let r = packages("langs.docker.tar", Some(layer));
        let list: Value =
            serde_json::from_str(&oracle(&format!("langs/layer{layer}.pip-list.json"))).unwrap();
        let norm = |n: &str| n.to_lowercase().replace(['_', '.'], "-");
        let want: BTreeSet<(String, String)> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (norm(&s(&p["name"])), s(&p["version"])))
            .collect();
        let got: BTreeSet<(String, String)> = of(&r, "python")
            .iter()
            .map(|p| (norm(&s(&p["name"])), s(&p["version"])))
            .collect();
        assert_eq!(got, want, "layer {layer}");
        // importlib.metadata lists the same, and its paths are where strata found each one.
        let meta: Value =
            serde_json::from_str(&oracle(&format!("langs/layer{layer}.importlib.json"))).unwrap();
        let want: BTreeSet<(String, String)> = meta
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (norm(&s(&d[0])), s(&d[1])))
            .collect();
        assert_eq!(got, want, "layer {layer}: importlib.metadata");
        let locations: BTreeSet<String> = meta
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let p = s(&d[2]);
                p[p.find("/opt/").unwrap() + 1..].to_owned()
            })
            .collect();
        let got: BTreeSet<String> = of(&r, "python").iter().map(|p| s(&p["location"])).collect();
        assert_eq!(got, locations, "layer {layer}");
    }
}

/// `npm ls --all --json`'s dependencies, flattened: (name, version).
fn npm_oracle(v: &Value, out: &mut BTreeSet<(String, String)>) {
    if let Some(deps) = v["dependencies"].as_object() {
        for (name, d) in deps {
            out.insert((name.clone(), s(&d["version"])));
            npm_oracle(d, out);
        }
    }
}

#[test]
fn node_packages_are_what_npm_ls_says() {
    for layer in [5, 6] {
        let r = packages("langs.docker.tar", Some(layer));
        let mut want = BTreeSet::new();
        npm_oracle(
            &serde_json::from_str(&oracle(&format!("langs/layer{layer}.npm-ls.json"))).unwrap(),
            &mut want,
        );
        assert!(!want.is_empty());
        let got: BTreeSet<(String, String)> = of(&r, "npm")
            .iter()
            .map(|p| (s(&p["name"]), s(&p["version"])))
            .collect();
        assert_eq!(got, want, "layer {layer}");
    }
    let r = packages("langs.docker.tar", Some(4));
    assert!(of(&r, "npm").is_empty());
    // pip's upgrade in layer 3, as pip list's answers before and after say.
    let r = packages("langs.docker.tar", None);
    let changed = &r["layers"][2]["changed"];
    assert_eq!(
        (
            s(&changed[0]["name"]),
            s(&changed[0]["from_version"]),
            s(&changed[0]["to_version"])
        ),
        ("idna".into(), "3.6".into(), "3.7".into())
    );
}

#[test]
fn go_rust_and_java_packages_are_what_their_tools_say() {
    let r = packages("langs.docker.tar", None);
    let go: BTreeSet<(String, String, bool)> = of(&r, "go")
        .iter()
        .map(|p| (s(&p["name"]), s(&p["version"]), p["main"] == true))
        .collect();
    assert_eq!(go, go_oracle());
    // rust-audit-info decodes the same .dep-v0 section independently.
    let audit: Value = serde_json::from_str(&oracle("rust-audit-info.json")).unwrap();
    let want: BTreeSet<(String, String)> = audit["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (s(&p["name"]), s(&p["version"])))
        .collect();
    let got: BTreeSet<(String, String)> = of(&r, "cargo")
        .iter()
        .map(|p| (s(&p["name"]), s(&p["version"])))
        .collect();
    assert_eq!(got, want);
    assert!(
        of(&r, "cargo")
            .iter()
            .all(|p| p["location"] == "usr/local/bin/strata-rust-app")
    );
    // Jars: what `unzip -p jar 'META-INF/maven/*/*/pom.properties'` prints.
    for jar in ["strata-demo", "strata-stored", "commons-lang3"] {
        let props = oracle(&format!("langs/{jar}.pom.properties"));
        let get = |k: &str| {
            props
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap()
                .trim()
                .to_owned()
        };
        let found: Vec<&Value> = of(&r, "maven")
            .into_iter()
            .filter(|p| s(&p["location"]) == format!("opt/java/{jar}.jar"))
            .collect();
        assert_eq!(found.len(), 1, "{jar}: {r:#}");
        let p = found[0];
        assert_eq!(
            (s(&p["namespace"]), s(&p["name"]), s(&p["version"])),
            (get("groupId"), get("artifactId"), get("version")),
            "{jar}"
        );
    }
}

#[test]
fn alpine_packages_are_what_the_database_was_written_with() {
    let want: Value = serde_json::from_str(&oracle("alpine.json")).unwrap();
    for layer in [2, 3] {
        let r = packages("alpine.docker.tar", Some(layer));
        let got: BTreeSet<(String, String)> = of(&r, "apk")
            .iter()
            .map(|p| (s(&p["name"]), s(&p["version"])))
            .collect();
        let w: BTreeSet<(String, String)> = want[format!("layer{layer}")]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (s(&p[0]), s(&p[1])))
            .collect();
        assert_eq!(got, w, "layer {layer}");
    }
    let r = packages("alpine.docker.tar", None);
    for p in of(&r, "apk") {
        let files: BTreeSet<String> = p["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("/{}", s(f)))
            .collect();
        let w: BTreeSet<String> = want["files"][s(&p["name"])]
            .as_array()
            .unwrap()
            .iter()
            .map(s)
            .collect();
        assert_eq!(files, w, "{}", p["name"]);
    }
    assert_eq!(r["layers"][2]["changed"][0]["name"], "zlib");
    assert_eq!(r["layers"][2]["changed"][0]["direction"], "upgrade");
}

/// The validators' Python (a venv made by scripts/sbom-validators.sh).
fn validators() -> &'static PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let out = Command::new(common::root().join("scripts/sbom-validators.sh"))
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("scripts/sbom-validators.sh");
        assert!(out.status.success(), "scripts/sbom-validators.sh failed");
        PathBuf::from(
            String::from_utf8(out.stdout)
                .unwrap()
                .trim()
                .lines()
                .last()
                .unwrap(),
        )
    })
}

/// The SPDX validator (spdx-tools' pyspdxtools) on a document; it tells the format by the
/// file's extension.
fn pyspdxtools(path: &Path) {
    let check = Command::new(validators())
        .args(["-m", "spdx_tools.spdx.clitools.pyspdxtools", "-i"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "pyspdxtools on {}: {}{}",
        path.display(),
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

fn sbom(img: &str, format: &str) -> (PathBuf, Value) {
    let out = Command::new(STRATA)
        .args(["packages", "--format", format, &image(img)])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = std::env::temp_dir().join(format!("strata-sbom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{img}.{format}.json"));
    std::fs::write(&path, &out.stdout).unwrap();
    (path, serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn sboms_pass_the_spdx_and_cyclonedx_validators() {
    let py = validators();
    for img in [
        "debian.docker.tar",
        "langs.docker.tar",
        "rpm.docker.tar",
        "alpine.docker.tar",
    ] {
        let (spdx, doc) = sbom(img, "spdx-json");
        pyspdxtools(&spdx);
        // Every package of the report is in the SBOM with its purl and its layer.
        let report = packages(img, None);
        let purls: BTreeSet<String> = doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| {
                p["externalRefs"][0]["referenceLocator"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
        for p in report["packages"].as_array().unwrap() {
            assert!(
                purls.contains(&s(&p["purl"])),
                "{img}: {} missing from the SPDX document",
                p["purl"]
            );
        }
        let (cdx, doc) = sbom(img, "cyclonedx-json");
        let script = "import sys\nfrom cyclonedx.validation.json import JsonStrictValidator\nfrom cyclonedx.schema import SchemaVersion\nerr = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\nif err: sys.exit(str(err))\n";
        let check = Command::new(py)
            .args(["-c", script])
            .arg(&cdx)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "cyclonedx validation of {img}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let comps = doc["components"].as_array().unwrap();
        assert_eq!(
            comps
                .iter()
                .filter(|c| c["type"] != "operating-system")
                .count(),
            report["packages"].as_array().unwrap().len()
        );
        for c in comps.iter().filter(|c| c["purl"].is_string()) {
            assert!(
                c["properties"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == "strata:layer"),
                "{c}"
            );
        }
        // Each purl parses (packageurl-python) and keeps its type and name.
        let script = "import json, sys\nfrom packageurl import PackageURL\nfor c in json.load(open(sys.argv[1]))['components']:\n    if 'purl' in c:\n        p = PackageURL.from_string(c['purl'])\n        assert p.to_string() == c['purl'] or PackageURL.from_string(p.to_string()) == p, c['purl']\n";
        let check = Command::new(py)
            .args(["-c", script])
            .arg(&cdx)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "purls of {img}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    let (_, doc) = sbom("debian.docker.tar", "cyclonedx-json");
    let libc = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "libc6")
        .unwrap();
    assert!(
        s(&libc["purl"]).starts_with("pkg:deb/debian/libc6@"),
        "{libc}"
    );
    assert!(s(&libc["purl"]).contains("distro=debian-12"), "{libc}");
}

#[test]
fn diff_lists_package_changes_as_dpkg_query_sees_them() {
    let d = json(&[
        "diff",
        "--format",
        "json",
        &image("debian-2.docker.tar"),
        &image("debian.docker.tar"),
    ]);
    let p = &d["packages"];
    let (a, b) = (dpkg_oracle(2), dpkg_oracle(4));
    let names = |set: &BTreeSet<(String, String, String)>| -> BTreeMap<String, String> {
        set.iter().map(|(n, v, _)| (n.clone(), v.clone())).collect()
    };
    let (a, b) = (names(&a), names(&b));
    let set = |k: &str| -> BTreeSet<String> {
        p[k].as_array()
            .unwrap()
            .iter()
            .filter(|x| x["ecosystem"] == "deb")
            .map(|x| s(&x["name"]))
            .collect()
    };
    assert_eq!(
        set("added"),
        b.keys().filter(|n| !a.contains_key(*n)).cloned().collect()
    );
    assert_eq!(
        set("removed"),
        a.keys().filter(|n| !b.contains_key(*n)).cloned().collect()
    );
    let changed: BTreeSet<(String, String, String)> = p["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (s(&c["name"]), s(&c["from"]), s(&c["to"])))
        .collect();
    let want: BTreeSet<(String, String, String)> = b
        .iter()
        .filter_map(|(n, v)| Some((n.clone(), a.get(n).filter(|o| *o != v)?.clone(), v.clone())))
        .collect();
    assert_eq!(changed, want);
    let (code, out, err) = run(&[
        "diff",
        &image("debian-2.docker.tar"),
        &image("debian.docker.tar"),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(out).unwrap();
    let all = |k: &str| p[k].as_array().unwrap().len();
    assert!(
        text.contains(&format!(
            "Packages: {} added, {} removed, {} changed",
            all("added"),
            all("removed"),
            all("changed")
        )),
        "{text}"
    );
}

#[test]
fn version_order_is_dpkg_and_rpm_s_own() {
    use strata_core::packages::{Ecosystem, version::compare};
    let pairs = [
        ("1.0", "1.0~rc1"),
        ("1.0.1", "1.0a"),
        ("1:0.1", "2.0"),
        ("2.36-9+deb12u4", "2.36-9+deb12u10"),
        ("1.001", "1.1"),
        ("1.0+dfsg", "1.0"),
        ("1.2.3-r0", "1.2.3-r10"),
        ("0.9^git1", "0.9"),
        ("1.0a", "1.0.1"),
    ];
    for (a, b) in pairs {
        let dpkg = |op: &str| {
            Command::new("dpkg")
                .args(["--compare-versions", a, op, b])
                .status()
                .unwrap()
                .success()
        };
        let want = if dpkg("lt") {
            std::cmp::Ordering::Less
        } else if dpkg("gt") {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        };
        assert_eq!(compare(Ecosystem::Deb, a, b), want, "dpkg: {a} vs {b}");
        let out = Command::new("rpm")
            .args([
                "--eval",
                &format!("%{{lua: print(rpm.vercmp('{a}', '{b}'))}}"),
            ])
            .output()
            .unwrap();
        let v: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        assert_eq!(compare(Ecosystem::Rpm, a, b) as i32, v, "rpm: {a} vs {b}");
    }
}

#[test]
fn a_damaged_image_prints_what_it_read_and_exits_3() {
    let (code, out, err) = run(&[
        "packages",
        "--format",
        "json",
        &common::fixture("broken.flipped.tar"),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(serde_json::from_slice::<Value>(&out).is_ok(), "{err}");
    assert!(err.contains("damaged"), "{err}");
}

#[test]
fn errors_exit_2() {
    let (code, _, err) = run(&["packages", "/nonexistent/image.tar"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&["packages", "--layer", "99", &image("alpine.docker.tar")]);
    assert_eq!(code, 2);
    assert!(err.contains("--layer 99"), "{err}");
    let (code, _, err) = run(&[
        "packages",
        "--layer",
        "1",
        "--format",
        "spdx-json",
        &image("alpine.docker.tar"),
    ]);
    assert_eq!(code, 2, "{err}");
    // A snapshot has no contents to read databases from.
    let dir = std::env::temp_dir().join(format!("strata-pkg-snap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snap = dir.join("a.strata");
    let (code, _, err) = run(&[
        "snapshot",
        "-o",
        snap.to_str().unwrap(),
        &image("alpine.docker.tar"),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["packages", snap.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("snapshot"), "{err}");
}

/// `strata hints` names the package findings, and their evidence is what dpkg-query says:
/// the packages one layer's answer lists and the next one's does not (by name: an upgrade
/// keeps its name), installed in the lower layer and still shipped there; and executables no
/// `dpkg-query -L` lists.
#[test]
fn strata_hints_names_the_package_findings() {
    let out = json(&["hints", "--format", "json", &image("debian.docker.tar")]);
    let hints = out["hints"].as_array().unwrap();
    let find = |code: &str| {
        hints
            .iter()
            .find(|h| h["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {hints:#?}"))
    };
    let names = |layer: usize| -> BTreeSet<String> {
        dpkg_oracle(layer).into_iter().map(|(n, _, _)| n).collect()
    };
    let mut want: BTreeSet<(String, usize)> = BTreeSet::new();
    for layer in 2..=4 {
        for gone in names(layer - 1).difference(&names(layer)) {
            want.insert((gone.clone(), layer));
        }
    }
    assert!(!want.is_empty(), "the fixture removes packages");
    let removed = find("package-removed-later");
    let got: BTreeSet<(String, usize)> = removed["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let note = s(&e["note"]);
            let name = note.split(' ').next().unwrap().to_owned();
            let gone: usize = note.rsplit(' ').next().unwrap().parse().unwrap();
            assert!(e["layer"].as_u64().unwrap() < gone as u64, "{e}");
            (name, gone)
        })
        .collect();
    assert_eq!(got, want);
    assert!(
        s(&removed["title"]).ends_with("installed and removed in a later layer: still shipped")
    );
    let unowned = find("unowned-executables");
    let listed: BTreeSet<String> = oracle("debian/layer4.dpkg-query-L.resolved.txt")
        .lines()
        .map(str::to_owned)
        .collect();
    let paths: Vec<String> = unowned["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["path"]))
        .collect();
    assert!(
        paths.contains(&"usr/local/bin/strata-go-app".to_owned()),
        "{paths:?}"
    );
    for p in &paths {
        assert!(
            !listed.contains(p),
            "{p} is owned according to dpkg-query -L"
        );
    }
    // The table says the same.
    let (code, text, err) = run(&["hints", &image("debian.docker.tar")]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(text).unwrap();
    for code in ["package-removed-later", "unowned-executables"] {
        assert!(
            text.contains(&format!("[{code}]")),
            "{code} missing from:\n{text}"
        );
    }
    // Without an OS package database (busybox), every file is unowned: no finding.
    let (_, text, _) = run(&["hints", &image("langs.docker.tar")]);
    let text = String::from_utf8(text).unwrap();
    assert!(!text.contains("[unowned-executables]"), "{text}");
}

/// The bundled multiarch sample carries SBOM attestations in BuildKit's layout
/// (scripts/sbom-attestation.py: no BuildKit runs here). Each is a valid SPDX 2.3 document
/// (pyspdxtools says so) whose files are the layer's, byte for byte (sha256sum of what tar
/// extracts), and `strata packages` sets it beside the layers: the image has no package
/// database, so each package the document lists is only in the SBOM.
#[test]
fn the_samples_sbom_attestation_is_spdx_and_compared_with_the_layers() {
    let sample = common::root().join("www/samples/multiarch.oci.tar");
    let sample = sample.to_str().unwrap();
    let tar_out = |member: &str| {
        let out = Command::new("tar")
            .args(["-xOf", sample, member])
            .output()
            .unwrap();
        assert!(out.status.success(), "tar -xOf {member}");
        out.stdout
    };
    let blob = |digest: &str| tar_out(&format!("./blobs/sha256/{}", &digest[7..]));
    let top: Value = serde_json::from_slice(&tar_out("./index.json")).unwrap();
    let index: Value =
        serde_json::from_slice(&blob(top["manifests"][0]["digest"].as_str().unwrap())).unwrap();
    let manifests = index["manifests"].as_array().unwrap();
    let attestations: Vec<&Value> = manifests
        .iter()
        .filter(|m| m["annotations"]["vnd.docker.reference.type"] == "attestation-manifest")
        .collect();
    let images = manifests.len() - attestations.len();
    assert_eq!(attestations.len(), images, "one attestation per platform");
    for a in &attestations {
        let manifest: Value = serde_json::from_slice(&blob(a["digest"].as_str().unwrap())).unwrap();
        let layer = &manifest["layers"][0];
        assert_eq!(
            layer["annotations"]["in-toto.io/predicate-type"],
            "https://spdx.dev/Document"
        );
        let statement: Value =
            serde_json::from_slice(&blob(layer["digest"].as_str().unwrap())).unwrap();
        let described = a["annotations"]["vnd.docker.reference.digest"]
            .as_str()
            .unwrap();
        assert_eq!(
            statement["subject"][0]["digest"]["sha256"].as_str(),
            Some(&described[7..])
        );
        // The SPDX validator on the predicate.
        let dir = std::env::temp_dir().join(format!("strata-sample-sbom-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.spdx.json", &described[7..19]));
        std::fs::write(&path, serde_json::to_vec(&statement["predicate"]).unwrap()).unwrap();
        pyspdxtools(&path);
        // Its files are the platform's layer's: sha256sum of what tar extracts from it.
        let image: Value = serde_json::from_slice(&blob(described)).unwrap();
        let layer_tar = std::env::temp_dir().join(format!(
            "strata-sample-layer-{}-{}",
            std::process::id(),
            &described[7..19]
        ));
        std::fs::write(
            &layer_tar,
            blob(image["layers"][0]["digest"].as_str().unwrap()),
        )
        .unwrap();
        for f in statement["predicate"]["files"].as_array().unwrap() {
            let name = f["fileName"].as_str().unwrap();
            let bytes = Command::new("tar")
                .arg("-xOf")
                .arg(&layer_tar)
                .arg(name.trim_start_matches("./"))
                .output()
                .unwrap()
                .stdout;
            let mut sum = Command::new("sha256sum")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(&mut sum.stdin.take().unwrap(), &bytes).unwrap();
            let sum = String::from_utf8(sum.wait_with_output().unwrap().stdout).unwrap();
            let want = f["checksums"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["algorithm"] == "SHA256")
                .unwrap()["checksumValue"]
                .clone();
            assert_eq!(
                Some(sum.split(' ').next().unwrap()),
                want.as_str(),
                "{name}"
            );
        }
    }
    // strata packages: the chosen platform's SBOM beside its layers.
    let r = common::json(&["packages", "--format", "json", sample]);
    assert_eq!(r["packages"].as_array().map(Vec::len), Some(0));
    let sboms = r["sboms"].as_array().unwrap();
    assert_eq!(sboms.len(), 1, "the chosen platform's attestation");
    let c = &sboms[0];
    assert_eq!(c["format"], "SPDX-2.3");
    let statement_of = attestations
        .iter()
        .find(|a| a["digest"] == c["artifact"])
        .map(|a| {
            let m: Value = serde_json::from_slice(&blob(a["digest"].as_str().unwrap())).unwrap();
            serde_json::from_slice::<Value>(&blob(m["layers"][0]["digest"].as_str().unwrap()))
                .unwrap()
        })
        .expect("the comparison names an attestation manifest of the sample");
    let listed: Vec<&str> = statement_of["predicate"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let only: Vec<&str> = c["only_in_sbom"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(!listed.is_empty());
    assert_eq!(only, listed);
    assert_eq!(c["same"], 0);
    let table = common::run(&["packages", sample]);
    let text = String::from_utf8_lossy(&table.1);
    assert!(
        text.contains(&format!("only in the SBOM:   {} ", listed[0])),
        "{text}"
    );
}

/// An SBOM that disagrees with the layers, from a real tool's answer: the Debian image carries
/// an SPDX attestation listing what `dpkg-query -W` said after layer 2 (attached in BuildKit's
/// documented layout: a nested image index, an attestation manifest annotated
/// `vnd.docker.reference.type: attestation-manifest`; no BuildKit runs here), so the
/// comparison with the final image is the difference of the two dpkg-query answers: packages
/// removed later are only in the SBOM, packages added later only in the layers, and upgrades
/// and downgrades are at another version. Layer 1's answer (packages added and removed since)
/// and layer 2's (removed and changed since) between them have every kind of difference.
#[test]
fn an_sbom_of_an_earlier_layer_differs_as_dpkg_query_does() {
    let (a, b) = (sbom_of_layer_beside_final(1), sbom_of_layer_beside_final(2));
    assert!(
        a.0 + b.0 > 0 && a.1 + b.1 > 0 && a.2 + b.2 > 0,
        "{a:?} {b:?}"
    );
}

/// (only in the SBOM, only in the layers, another version) of an SBOM listing dpkg-query's
/// answer after `layer`, attached to the Debian image, checked against the final answer.
fn sbom_of_layer_beside_final(layer: usize) -> (usize, usize, usize) {
    let installed = |layer: usize| -> BTreeMap<String, (String, String)> {
        oracle(&format!("debian/layer{layer}.dpkg-query.txt"))
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() == 4 && f[0].trim() == "ii")
                    .then(|| (f[1].to_owned(), (f[2].to_owned(), f[3].to_owned())))
            })
            .collect()
    };
    let (then, now) = (installed(layer), installed(4));
    let dir = std::env::temp_dir().join(format!(
        "strata-sbom-attached-{}-{layer}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let tar = |args: &[&str]| {
        let st = Command::new("tar").args(args).status().unwrap();
        assert!(st.success(), "tar {args:?}");
    };
    tar(&["-xf", &image("debian.oci.tar"), "-C", dir.to_str().unwrap()]);
    let put = |bytes: &[u8]| -> (String, usize) {
        use sha2::Digest as _;
        let hex: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(dir.join("blobs/sha256").join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let top: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let image_desc = top["manifests"][0].clone();
    let packages: Vec<Value> = then
        .iter()
        .enumerate()
        .map(|(i, (name, (version, arch)))| {
            serde_json::json!({
                "name": name, "SPDXID": format!("SPDXRef-Package-{i}"), "versionInfo": version,
                "downloadLocation": "NOASSERTION", "filesAnalyzed": false,
                "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                    "referenceLocator": format!("pkg:deb/debian/{name}@{version}?arch={arch}")}],
            })
        })
        .collect();
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "subject": [{"name": "strata/debian", "digest": {"sha256": &image_desc["digest"].as_str().unwrap()[7..]}}],
        "predicate": {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
            "name": format!("dpkg-query -W after layer {layer}"), "documentNamespace": "https://strata.invalid/test",
            "creationInfo": {"created": "2023-11-14T22:13:20Z", "creators": ["Tool: dpkg-query"]},
            "packages": packages},
    });
    let (layer, layer_size) = put(&serde_json::to_vec(&statement).unwrap());
    let (config, config_size) = put(
        br#"{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#,
    );
    let attestation = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size},
        "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": layer, "size": layer_size,
            "annotations": {"in-toto.io/predicate-type": "https://spdx.dev/Document"}}],
    });
    let (att, att_size) = put(&serde_json::to_vec(&attestation).unwrap());
    let mut image_entry = image_desc.clone();
    image_entry["platform"] = serde_json::json!({"architecture": "amd64", "os": "linux"});
    let index = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [image_entry, {"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": att, "size": att_size, "platform": {"architecture": "unknown", "os": "unknown"},
            "annotations": {"vnd.docker.reference.digest": image_desc["digest"],
                "vnd.docker.reference.type": "attestation-manifest"}}],
    });
    let (idx, idx_size) = put(&serde_json::to_vec(&index).unwrap());
    let top = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": idx, "size": idx_size, "annotations": {"org.opencontainers.image.ref.name": "1"}}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    let archive = dir.with_extension("tar");
    tar(&[
        "-cf",
        archive.to_str().unwrap(),
        "-C",
        dir.to_str().unwrap(),
        ".",
    ]);

    let r = json(&["packages", "--format", "json", archive.to_str().unwrap()]);
    let c = &r["sboms"][0];
    assert_eq!(r["sboms"].as_array().map(Vec::len), Some(1), "{r}");
    let names = |key: &str| -> BTreeSet<String> {
        c[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p.get("ecosystem").is_none_or(|e| e == "deb"))
            .map(|p| {
                p["name"]
                    .as_str()
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    // The Go binary of layer 4 is in the layers too, and in no dpkg answer: its modules are
    // `go version -m`'s.
    let go: BTreeSet<String> = c["only_in_layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"] != "deb")
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    let go_version_m: BTreeSet<String> = oracle("go-version-m.txt")
        .lines()
        .map(|l| l.trim().split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() > 1 && (f[0] == "mod" || f[0] == "dep"))
        .map(|f| f[1].to_owned())
        .collect();
    assert_eq!(go, go_version_m);
    let gone: BTreeSet<String> = then
        .keys()
        .filter(|n| !now.contains_key(*n))
        .cloned()
        .collect();
    let added: BTreeSet<String> = now
        .keys()
        .filter(|n| !then.contains_key(*n))
        .cloned()
        .collect();
    let changed: BTreeSet<String> = now
        .iter()
        .filter(|(n, (v, _))| then.get(*n).is_some_and(|(w, _)| w != v))
        .map(|(n, _)| n.clone())
        .collect();
    assert_eq!(names("only_in_sbom"), gone);
    assert_eq!(names("only_in_layers"), added);
    assert_eq!(names("version_differs"), changed);
    for d in c["version_differs"].as_array().unwrap() {
        let name = d["name"].as_str().unwrap().split(':').next().unwrap();
        assert_eq!(d["sbom_version"].as_str(), Some(then[name].0.as_str()));
        assert_eq!(d["layers_version"].as_str(), Some(now[name].0.as_str()));
    }
    let same = then
        .iter()
        .filter(|(n, (v, _))| now.get(*n).is_some_and(|(w, _)| w == v))
        .count();
    assert_eq!(c["same"].as_u64(), Some(same as u64));
    (gone.len(), added.len(), changed.len())
}
