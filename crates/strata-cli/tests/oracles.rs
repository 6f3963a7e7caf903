//! `strata` against what the real tools say about the same archives: skopeo inspect, podman
//! image inspect and history (podman loads each archive into vfs storage), umoci unpack's
//! root filesystem, GNU tar's listing of each layer. The fixtures and the oracles are made by
//! `scripts/fixtures.sh`, which the test command runs first.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

const STRATA: &str = env!("CARGO_BIN_EXE_strata");

fn fixtures() -> PathBuf {
    let dir = std::env::var_os("STRATA_FIXTURES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fixtures"),
        PathBuf::from,
    );
    assert!(
        dir.join("STAMP").is_file(),
        "no fixtures in {}: run `scripts/fixtures.sh` (the README's test command does)",
        dir.display()
    );
    dir
}

fn image(name: &str) -> String {
    fixtures()
        .join("images")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn oracle(flavour: &str, file: &str) -> Value {
    let path = fixtures().join("oracle").join(flavour).join(file);
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// Runs `strata ARGS`, returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(STRATA).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[track_caller]
fn json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "strata {args:?} failed: {err}");
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("strata {args:?}: not JSON ({e})"))
}

const OCI_FLAVOURS: [&str; 4] = [
    "layers.oci",
    "layers.oci-zstd",
    "layers.oci-uncompressed",
    "layers.podman-oci",
];
const DOCKER_FLAVOURS: [&str; 2] = ["layers.docker", "layers.podman-docker"];

#[test]
fn inspect_matches_skopeo_for_every_flavour() {
    for flavour in DOCKER_FLAVOURS.iter().chain(&OCI_FLAVOURS) {
        let ours = &json(&["inspect", &image(&format!("{flavour}.tar"))])[0];
        let skopeo = oracle(flavour, "skopeo-inspect.json");
        let config = oracle(flavour, "skopeo-config.json");
        let raw = oracle(flavour, "skopeo-raw.json");
        assert_eq!(
            ours["Id"], raw["config"]["digest"],
            "{flavour}: Id is the config digest"
        );
        assert_eq!(ours["Created"], skopeo["Created"], "{flavour}");
        assert_eq!(ours["Architecture"], skopeo["Architecture"], "{flavour}");
        assert_eq!(ours["Os"], skopeo["Os"], "{flavour}");
        assert_eq!(ours["Config"]["Labels"], skopeo["Labels"], "{flavour}");
        assert_eq!(ours["Config"]["Env"], skopeo["Env"], "{flavour}");
        for field in ["Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts"] {
            let want = config["config"].get(field).cloned().unwrap_or(Value::Null);
            let got = ours["Config"].get(field).cloned().unwrap_or(Value::Null);
            let empty = |v: &Value| v.is_null() || v == "";
            assert!(
                got == want || (empty(&got) && empty(&want)),
                "{flavour}: Config.{field}: {got} vs {want}"
            );
        }
        assert_eq!(
            ours["RootFS"]["Layers"], config["rootfs"]["diff_ids"],
            "{flavour}"
        );
        // The manifest digest (in RepoDigests) and the layer digests are skopeo's.
        let manifest = json(&[
            "overview",
            "--format",
            "json",
            &image(&format!("{flavour}.tar")),
        ]);
        assert_eq!(manifest["manifest_digest"], skopeo["Digest"], "{flavour}");
        let layers: Vec<&Value> = manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| &l["digest"])
            .collect();
        let want: Vec<&Value> = skopeo["Layers"].as_array().unwrap().iter().collect();
        assert_eq!(layers, want, "{flavour}: layer digests");
        // `strata manifest` is byte for byte what `skopeo inspect --raw` printed.
        let (_, bytes, _) = run(&["manifest", &image(&format!("{flavour}.tar"))]);
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap(),
            raw,
            "{flavour}: raw manifest"
        );
    }
}

#[test]
fn inspect_and_history_like_podman_match_podman() {
    for flavour in [
        "layers.docker",
        "layers.oci",
        "layers.oci-zstd",
        "base.docker",
        "waste3.docker",
    ] {
        let archive = image(&format!("{flavour}.tar"));
        let ours = &json(&["inspect", "--like", "podman", &archive])[0];
        let podman = &oracle(flavour, "podman-inspect.json")[0];
        assert_eq!(
            ours["Id"].as_str().unwrap().trim_start_matches("sha256:"),
            podman["Id"].as_str().unwrap(),
            "{flavour}: Id"
        );
        assert_eq!(ours["Architecture"], podman["Architecture"], "{flavour}");
        assert_eq!(ours["Os"], podman["Os"], "{flavour}");
        assert_eq!(ours["Config"]["Env"], podman["Config"]["Env"], "{flavour}");
        assert_eq!(ours["Config"]["Cmd"], podman["Config"]["Cmd"], "{flavour}");
        assert_eq!(
            ours["RootFS"]["Layers"], podman["RootFS"]["Layers"],
            "{flavour}"
        );
        // podman's digest is the manifest's: ours sits in each RepoDigest.
        let digest = podman["Digest"].as_str().unwrap();
        for d in ours["RepoDigests"].as_array().unwrap() {
            assert!(
                d.as_str().unwrap().ends_with(digest),
                "{flavour}: {d} vs {digest}"
            );
        }
        if flavour.ends_with(".docker") {
            assert_eq!(ours["RepoDigests"], podman["RepoDigests"], "{flavour}");
        }
        let history = json(&["history", "--like", "podman", "--format", "json", &archive]);
        let theirs = oracle(flavour, "podman-history.json");
        let (ours_rows, their_rows) = (history.as_array().unwrap(), theirs.as_array().unwrap());
        assert_eq!(ours_rows.len(), their_rows.len(), "{flavour}: history rows");
        for (o, t) in ours_rows.iter().zip(their_rows) {
            assert_eq!(o["CreatedBy"], t["CreatedBy"], "{flavour}");
            assert_eq!(
                o["SizeBytes"], t["size"],
                "{flavour}: size of {}",
                t["CreatedBy"]
            );
            if o["EmptyLayer"] == true {
                assert_eq!(t["size"], 0, "{flavour}: an empty-layer step has no size");
            }
            assert_eq!(
                o["Comment"].as_str().unwrap_or(""),
                t["comment"].as_str().unwrap_or(""),
                "{flavour}"
            );
        }
        // Empty-layer rows are exactly the config's empty_layer entries.
        let config: Value = serde_json::from_slice(&run(&["config", &archive]).1).unwrap();
        let empties = config["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["empty_layer"] == true)
            .count();
        assert_eq!(
            ours_rows.iter().filter(|r| r["EmptyLayer"] == true).count(),
            empties,
            "{flavour}"
        );
        // The newest row names the image, the others are <missing>, as podman prints them.
        assert_eq!(
            ours_rows[0]["ID"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:"),
            their_rows[0]["id"].as_str().unwrap()
        );
        assert!(ours_rows[1..].iter().all(|r| r["ID"] == "<missing>"));
    }
}

fn normalise_merged(v: &Value) -> Vec<BTreeMap<String, Value>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            ["path", "type", "mode", "size", "uid", "gid", "linkname"]
                .iter()
                .map(|k| ((*k).to_owned(), e.get(*k).cloned().unwrap_or(Value::Null)))
                .collect()
        })
        .collect()
}

#[test]
fn merged_filesystem_equals_umoci_unpack() {
    for (flavour, archives) in [
        (
            "layers.docker",
            vec![
                "layers.docker",
                "layers.oci",
                "layers.oci-zstd",
                "layers.dir",
                "layers.containerd",
                "layers.ocidir",
            ],
        ),
        ("waste3.docker", vec!["waste3.docker"]),
        ("waste50.docker", vec!["waste50.docker"]),
    ] {
        let want = normalise_merged(&oracle(flavour, "merged.json"));
        for a in archives {
            let got = normalise_merged(
                &json(&[
                    "ls",
                    "--merged",
                    "--format",
                    "json",
                    &image(&format!("{a}.tar")),
                ])["files"],
            );
            if got != want {
                let (gp, wp): (Vec<_>, Vec<_>) = (
                    got.iter().map(|e| &e["path"]).collect(),
                    want.iter().map(|e| &e["path"]).collect(),
                );
                let missing: Vec<_> = wp.iter().filter(|p| !gp.contains(p)).collect();
                let extra: Vec<_> = gp.iter().filter(|p| !wp.contains(p)).collect();
                let differ: Vec<_> = got
                    .iter()
                    .filter(|e| want.iter().any(|w| w["path"] == e["path"] && w != *e))
                    .collect();
                panic!(
                    "{a}: merged tree differs from umoci's: missing {missing:?}, extra {extra:?}, different {differ:?}"
                );
            }
        }
    }
}

/// One `tar --numeric-owner --full-time -tvf` line: mode, uid/gid, size, time, path, link.
fn parse_tar_tv(line: &str) -> BTreeMap<&'static str, String> {
    let mut parts = line.splitn(6, ' ').filter(|s| !s.is_empty());
    let mode = parts.next().unwrap().to_owned();
    let rest: Vec<&str> = line[mode.len()..].split_whitespace().collect();
    let owner = rest[0];
    let size = rest[1];
    // The name starts after the date and time.
    let time_at = line.find(rest[3]).unwrap() + rest[3].len() + 1;
    let mut name = line[time_at..].to_owned();
    let mut link = String::new();
    if let Some((n, l)) = name.split_once(" -> ") {
        link = l.to_owned();
        name = n.to_owned();
    } else if let Some((n, l)) = name.split_once(" link to ") {
        link = l.to_owned();
        name = n.to_owned();
    }
    let name = name
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_owned();
    let (uid, gid) = owner.split_once('/').unwrap();
    BTreeMap::from([
        ("mode", mode),
        ("uid", uid.to_owned()),
        ("gid", gid.to_owned()),
        ("size", size.to_owned()),
        ("path", name),
        ("link", link),
    ])
}

#[test]
fn each_layer_lists_as_gnu_tar_does_minus_whiteouts() {
    for (flavour, archives) in [
        (
            "layers.docker",
            vec!["layers.docker", "layers.oci", "layers.oci-zstd"],
        ),
        ("waste3.docker", vec!["waste3.docker"]),
    ] {
        for a in archives {
            for n in 1.. {
                let path = fixtures()
                    .join("oracle")
                    .join(flavour)
                    .join(format!("layer{n}.tar-tv.txt"));
                let Ok(listing) = std::fs::read_to_string(&path) else {
                    break;
                };
                let want: Vec<_> = listing
                    .lines()
                    .map(parse_tar_tv)
                    .filter(|e| {
                        !e["path"].rsplit('/').next().unwrap().starts_with(".wh.")
                            && !e["path"].is_empty()
                    })
                    .collect();
                let ours = json(&[
                    "ls",
                    "--layer",
                    &n.to_string(),
                    "--format",
                    "json",
                    &image(&format!("{a}.tar")),
                ]);
                let got: Vec<_> = ours["files"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        let kind = strata_kind(e["type"].as_str().unwrap());
                        let mode = u32::from_str_radix(e["mode"].as_str().unwrap(), 8).unwrap();
                        BTreeMap::from([
                            ("mode", mode_string(kind, mode)),
                            ("uid", e["uid"].to_string()),
                            ("gid", e["gid"].to_string()),
                            ("size", e["size"].to_string()),
                            ("path", e["path"].as_str().unwrap().to_owned()),
                            ("link", e["linkname"].as_str().unwrap().to_owned()),
                        ])
                    })
                    .collect();
                assert_eq!(got, want, "{a}: layer {n}");
            }
        }
    }
}

fn strata_kind(t: &str) -> char {
    match t {
        "dir" => 'd',
        "symlink" => 'l',
        "hardlink" => 'h',
        "char" => 'c',
        "block" => 'b',
        "fifo" => 'p',
        _ => '-',
    }
}

fn mode_string(kind: char, mode: u32) -> String {
    // GNU tar prints a hard link's mode with `h`.
    let mut s = String::new();
    s.push(kind);
    for (shift, special, lower, upper) in [
        (6, 0o4000, 's', 'S'),
        (3, 0o2000, 's', 'S'),
        (0, 0o1000, 't', 'T'),
    ] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(match (bits & 1 != 0, mode & special != 0) {
            (true, true) => lower,
            (false, true) => upper,
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    s
}

#[test]
fn cat_returns_every_file_byte_for_byte() {
    let rootfs = fixtures().join("layers-rootfs");
    let mut n = 0;
    for entry in walk(&rootfs) {
        let meta = std::fs::symlink_metadata(&entry).unwrap();
        if !meta.file_type().is_file() {
            continue;
        }
        let rel = entry
            .strip_prefix(&rootfs)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let want = std::fs::read(&entry).unwrap();
        for flavour in ["layers.docker", "layers.oci", "layers.oci-zstd"] {
            let (code, got, err) = run(&["cat", &image(&format!("{flavour}.tar")), &rel]);
            assert_eq!(code, 0, "{flavour}: cat {rel}: {err}");
            assert!(
                got == want,
                "{flavour}: cat {rel}: {} bytes, want {}",
                got.len(),
                want.len()
            );
        }
        n += 1;
    }
    assert!(n > 20, "only {n} files compared");
    // A file in the middle of a > 50 MB gzip layer.
    let blob = std::fs::metadata(image("big.oci.tar")).unwrap().len();
    assert!(blob > 50_000_000);
    let want = std::fs::read(fixtures().join("big-rootfs/payload/part06-middle.txt")).unwrap();
    let (code, got, err) = run(&["cat", &image("big.oci.tar"), "/payload/part06-middle.txt"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(got, want);
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if std::fs::symlink_metadata(&p).unwrap().is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn wasted_bytes_count_n_minus_one_copies() {
    let w3 = json_any(&["ci", "--format", "json", &image("waste3.docker.tar")]);
    assert_eq!(
        w3["wasted_bytes"], 20_000_000,
        "the same 10 MB path in 3 layers wastes 2 copies"
    );
    assert_eq!(w3["passed"], false);
    let w50 = json_any(&["ci", "--format", "json", &image("waste50.docker.tar")]);
    assert_eq!(
        w50["wasted_bytes"], 50_000_000,
        "a 50 MB file added then deleted wastes 50 MB"
    );
    let base = json(&["ci", "--format", "json", &image("base.docker.tar")]);
    assert_eq!(base["wasted_bytes"], 0);
    assert_eq!(base["efficiency"], 1.0);
    assert_eq!(base["passed"], true);
    // Exit code 1 when a rule fails, and the report names it.
    let (code, out, _) = run(&["ci", &image("waste3.docker.tar")]);
    assert_eq!(code, 1);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("FAIL: lowestEfficiency"), "{text}");
    let (code, _, _) = run(&[
        "ci",
        "--lowest-efficiency",
        "0.3",
        "--highest-user-wasted-percent",
        "0.9",
        &image("waste3.docker.tar"),
    ]);
    assert_eq!(code, 0);
}

/// The error-severity diagnostics of an `overview --format json`.
fn errors(overview: &Value) -> Vec<&Value> {
    overview["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect()
}

/// Like [`json`], for commands that exit 1 on purpose (`ci` with failing rules).
fn json_any(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert!(code == 0 || code == 1, "strata {args:?}: {err}");
    serde_json::from_slice(&out).unwrap()
}

/// Like [`json`], for a damaged image: the command prints what it could read and exits 3.
#[track_caller]
fn json_damaged(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 3, "strata {args:?} on a damaged image: {err}");
    assert!(
        err.contains("the image is damaged"),
        "says so on stderr: {err}"
    );
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("strata {args:?}: not JSON ({e})"))
}

#[test]
fn a_flipped_byte_names_the_layer_and_both_digests_and_the_rest_loads() {
    let flipped: Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("images/broken.flipped.json")).unwrap(),
    )
    .unwrap();
    let layer = flipped["layer"].as_u64().unwrap();
    let ov = json_damaged(&[
        "overview",
        "--verify",
        "--format",
        "json",
        &image("broken.flipped.tar"),
    ]);
    let good = json(&["overview", "--format", "json", &image("layers.docker.tar")]);
    let want_digest = good["layers"][layer as usize - 1]["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let diags = errors(&ov);
    assert_eq!(diags.len(), 1, "exactly one problem: {diags:?}");
    let d = diags[0];
    assert_eq!(d["subject"], format!("layer {layer}"));
    assert!(
        d["code"] == "digest-mismatch" || d["code"] == "diff-id-mismatch",
        "{d}"
    );
    let msg = d["message"].as_str().unwrap();
    assert!(
        msg.contains(&want_digest),
        "names the declared digest: {msg}"
    );
    let other = msg.matches("sha256:").count();
    assert_eq!(other, 2, "names both digests: {msg}");
    // Everything else still loads: the other layers' files are listed.
    let files = json_damaged(&[
        "ls",
        "--merged",
        "--format",
        "json",
        &image("broken.flipped.tar"),
    ]);
    assert!(
        files["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "bin/busybox")
    );
}

#[test]
fn a_gzip_blob_of_other_bytes_is_named_with_the_digests_skopeo_names() {
    // The same tar compressed again: the config's diff_id holds, the manifest's digest does not.
    let skopeo =
        std::fs::read_to_string(fixtures().join("images/broken.regzipped.skopeo.txt")).unwrap();
    // "... Digest did not match, expected sha256:<64 hex>, got sha256:<64 hex>"
    let after = |word: &str| {
        let at = skopeo
            .find(word)
            .unwrap_or_else(|| panic!("skopeo said: {skopeo}"))
            + word.len();
        skopeo[at..at + 71].to_owned()
    };
    let said = ["", &after("expected "), &after(", got ")];
    let ov = json_damaged(&[
        "overview",
        "--verify",
        "--format",
        "json",
        &image("broken.regzipped.oci.tar"),
    ]);
    let diags = errors(&ov);
    let digest: Vec<_> = diags
        .iter()
        .filter(|d| d["code"] == "digest-mismatch")
        .collect();
    assert_eq!(digest.len(), 1, "{diags:?}");
    assert_eq!(digest[0]["subject"], "layer 2");
    let msg = digest[0]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("names the blob {}", said[1]))
            && msg.contains(&format!("hash to {}", said[2])),
        "as skopeo names them ({}, {}): {msg}",
        said[1],
        said[2]
    );
    assert!(
        !diags.iter().any(|d| d["code"] == "diff-id-mismatch"),
        "the tar is the same: {diags:?}"
    );
}

#[test]
fn a_missing_blob_is_a_diagnostic_and_the_rest_loads() {
    let ov = json(&["overview", "--format", "json", &image("broken.missing.tar")]);
    let d = ov["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "missing-blob")
        .expect("a missing-blob diagnostic");
    assert_eq!(d["subject"], "layer 4");
    let files = json_damaged(&[
        "ls",
        "--merged",
        "--format",
        "json",
        &image("broken.missing.tar"),
    ]);
    assert!(
        files["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "data/keep.txt")
    );
    assert!(
        !files["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "app/zeros"),
        "layer 4's file cannot be there"
    );
}

#[test]
fn multi_image_archives_list_every_image_and_pick_one() {
    let listing = json(&[
        "images",
        "--format",
        "json",
        &image("multi-image.docker.tar"),
    ]);
    let names: Vec<&str> = listing["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "localhost/strata/base:1",
            "localhost/strata/layers:1",
            "localhost/strata/waste3:1"
        ]
    );
    let picked = json(&[
        "inspect",
        "--image",
        "localhost/strata/waste3:1",
        &image("multi-image.docker.tar"),
    ]);
    let waste3 = json(&["inspect", &image("waste3.docker.tar")]);
    assert_eq!(picked[0]["Id"], waste3[0]["Id"]);
    let by_id = json(&[
        "inspect",
        "--image",
        &waste3[0]["Id"].as_str().unwrap()[7..19],
        &image("multi-image.docker.tar"),
    ]);
    assert_eq!(by_id[0]["Id"], waste3[0]["Id"]);
    let (code, _, err) = run(&[
        "inspect",
        "--image",
        "nope:1",
        &image("multi-image.docker.tar"),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no image matches `nope:1`") && err.contains("localhost/strata/base:1"),
        "{err}"
    );
}

#[test]
fn indexes_offer_platforms_with_attestations_grouped() {
    let listing = json(&["images", "--format", "json", &image("multiarch.oci.tar")]);
    let platforms: Vec<&Value> = listing["images"][0]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let mut labels: Vec<&str> = platforms
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    labels.sort_unstable();
    assert_eq!(
        labels,
        ["linux/amd64", "linux/arm/v7", "linux/arm64"],
        "no unknown/unknown platform"
    );
    let amd64 = platforms
        .iter()
        .find(|p| p["label"] == "linux/amd64")
        .unwrap();
    assert_eq!(amd64["attestations"].as_array().unwrap().len(), 1);
    assert_eq!(
        json(&["inspect", &image("multiarch.oci.tar")])[0]["Architecture"],
        "amd64"
    );
    let arm = json(&[
        "inspect",
        "--platform",
        "linux/arm/v7",
        &image("multiarch.oci.tar"),
    ]);
    assert_eq!(
        (arm[0]["Architecture"].as_str(), arm[0]["Variant"].as_str()),
        (Some("arm"), Some("v7"))
    );
    // containerd saved one platform's blobs: that one opens by default, the others say why not.
    let containerd = json(&["inspect", &image("multiarch.containerd.tar")]);
    assert_eq!(containerd[0]["Architecture"], "arm64");
    assert_eq!(
        containerd[0]["RepoTags"],
        serde_json::json!(["strata/multiarch:1"])
    );
    let (code, _, err) = run(&[
        "inspect",
        "--platform",
        "linux/amd64",
        &image("multiarch.containerd.tar"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("other platforms only"), "{err}");
}

#[test]
fn bad_input_is_a_typed_error_naming_what_and_where() {
    let (code, _, err) = run(&["overview", &image("broken.truncated.tar")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("truncated at offset") && err.contains("more bytes of data"),
        "{err}"
    );
    let (code, _, err) = run(&["overview", &image("broken.random.bin")]);
    assert_eq!(code, 2);
    assert!(err.contains("not a tar archive"), "{err}");
    let (code, _, err) = run(&[
        "overview",
        "--limit",
        "max_json_bytes=100",
        &image("layers.docker.tar"),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("limit `max_json_bytes` exceeded") && err.contains("(the limit is 100)"),
        "{err}"
    );
}

#[test]
fn a_damaged_tar_header_marks_the_layer_and_the_rest_loads() {
    let ov = json_damaged(&[
        "overview",
        "--verify",
        "--format",
        "json",
        &image("broken.header.tar"),
    ]);
    let diags = ov["diagnostics"].as_array().unwrap();
    let damaged = diags
        .iter()
        .find(|d| d["code"] == "layer-damaged")
        .expect("a layer-damaged diagnostic");
    assert_eq!(damaged["subject"], "layer 3");
    assert!(
        damaged["message"]
            .as_str()
            .unwrap()
            .contains("corrupt tar header at offset"),
        "{damaged}"
    );
    assert!(
        diags
            .iter()
            .any(|d| d["code"] == "digest-mismatch" && d["subject"] == "layer 3")
    );
    let files = json_damaged(&[
        "ls",
        "--merged",
        "--format",
        "json",
        &image("broken.header.tar"),
    ]);
    assert!(
        files["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "app/zeros"),
        "layer 4 still applies"
    );
}

#[test]
fn an_oci_layout_directory_reads_like_its_archive() {
    let dir = std::env::temp_dir().join(format!("strata-oci-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let status = Command::new("tar")
        .arg("-xf")
        .arg(image("layers.oci.tar"))
        .arg("-C")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let from_dir = json(&["inspect", dir.to_str().unwrap()]);
    let from_tar = json(&["inspect", &image("layers.oci.tar")]);
    assert_eq!(from_dir, from_tar);
    let merged_dir = json(&["ls", "--merged", "--format", "json", dir.to_str().unwrap()]);
    let merged_tar = json(&[
        "ls",
        "--merged",
        "--format",
        "json",
        &image("layers.oci.tar"),
    ]);
    assert_eq!(merged_dir["files"], merged_tar["files"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_zero_filled_file_is_waste_not_a_bomb() {
    // buildah's image: a 300 MB lastlog of zeros, then `rm`. Under gzip and zstd its layer
    // expands far past the 250:1 ratio that stops bombs, and it must still read whole.
    for name in ["zeros.oci.tar", "zeros.oci-zstd.tar"] {
        let ov = json(&["overview", "--verify", "--format", "json", &image(name)]);
        let problems = errors(&ov);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        let stored = ov["layers"][1]["size"].as_u64().unwrap();
        assert!(
            300 << 20 > stored * 250,
            "{name}: the layer ({stored} bytes stored) is over the ratio limit"
        );
        let ci = json_any(&["ci", "--format", "json", &image(name)]);
        assert_eq!(
            ci["wasted_bytes"],
            300 << 20,
            "{name}: deleting does not shrink"
        );
        let timeline = json(&[
            "timeline",
            "--format",
            "json",
            &image(name),
            "var/log/lastlog",
        ]);
        let changes: Vec<&str> = timeline["events"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: {timeline}"))
            .iter()
            .map(|c| c["change"].as_str().unwrap())
            .collect();
        assert_eq!(changes, ["added", "deleted"], "{name}");
    }
}

/// `ls` prints the merged filesystem as it walks the tree, none of it held (a list of every
/// path first took 466 MiB for a million files), as a table and as JSON; the table's lines are
/// the JSON's files, one for one and in order: the same walk, whiteouts and hard links (named
/// as files) included. (The JSON's bytes are those a list of every file gave: the format 2
/// snapshot test holds them to what Strata printed before it streamed.)
#[test]
fn ls_prints_the_files_its_json_lists_in_the_same_order() {
    for name in [
        "layers.docker.tar",
        "layers.oci-zstd.tar",
        "waste-demo.docker.tar",
    ] {
        let archive = image(name);
        let text = Command::new(STRATA)
            .args(["ls", &archive])
            .output()
            .unwrap();
        assert!(text.status.success(), "{name}");
        let text = String::from_utf8(text.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let json = Command::new(STRATA)
            .args(["ls", "--merged", "--format", "json", &archive])
            .output()
            .unwrap();
        assert!(json.status.success(), "{name}");
        let json: Value = serde_json::from_slice(&json.stdout).unwrap();
        let files = json["files"].as_array().unwrap();
        assert!(files.len() > 10, "{name}: {} files", files.len());
        assert_eq!(lines.len(), files.len(), "{name}");
        for (line, f) in lines.iter().zip(files) {
            let path = f["path"].as_str().unwrap();
            let shown = match f["linkname"].as_str().filter(|_| f["type"] == "symlink") {
                Some(target) => format!(" {path} -> {target}"),
                None => format!(" {path}"),
            };
            assert!(line.ends_with(&shown), "{name}: {line:?} is not {f}");
        }
    }
}
