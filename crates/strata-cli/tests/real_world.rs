//! Quirks of archives other tools write, read as those tools read them:
//! - Docker 25.0's `docker save` may write an `index.json` whose `manifests` is `null` beside a
//!   good `manifest.json` (seen on hello-world); made here from containerd's `ctr images
//!   export` of the fixture (the layout Docker 25+ writes) with index.json rewritten so, since
//!   no Docker 25 runs here; and the other way round, a `manifest.json` that does not parse.
//! - docker writes bare names (`app`) for local images; references compare as docker
//!   normalises them (`app:latest`, `docker.io/library/app`, `index.docker.io/…`).
//! - several images in one archive: a command that needs one refuses to guess.
//! - OCI artifacts (a Helm chart pushed by the real `oras` client, copied to an archive by
//!   skopeo): shown raw, never read as a filesystem.
//! - sparse files, as GNU tar writes them in each of its four sparse formats (old GNU headers,
//!   PAX 0.0, 0.1 and 1.0), added verbatim as layers by `umoci raw add-layer` and copied by
//!   skopeo: listed at their real size and read back byte for byte, holes as zeros.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{fixture, open_registry, root, run};
use serde_json::Value;
use std::io::Read;
use std::process::Command;

/// What to put in place of an entry (path, bytes), if anything.
type Edit<'a> = &'a dyn Fn(&str, &[u8]) -> Option<Vec<u8>>;

/// A copy of the archive `src` with the entries `edit` returns new bytes for replaced.
fn rewrite(src: &str, name: &str, edit: Edit<'_>) -> String {
    let mut input = tar::Archive::new(std::fs::File::open(src).unwrap());
    let mut out = tar::Builder::new(Vec::new());
    for entry in input.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        let mut header = entry.header().clone();
        if let Some(new) = edit(&path, &data) {
            data = new;
            header.set_size(data.len() as u64);
            header.set_cksum();
        }
        out.append_data(&mut header, &path, data.as_slice())
            .unwrap();
    }
    let dir = root().join("target/real-world");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, out.into_inner().unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

#[track_caller]
fn json_ok(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "strata {args:?}: {err}");
    serde_json::from_slice(&out).unwrap()
}

fn codes(d: &Value) -> Vec<String> {
    d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{} {} {}", d["code"], d["subject"], d["message"]).replace('"', ""))
        .collect()
}

#[test]
fn docker_25_s_null_manifests_fall_back_to_manifest_json_and_the_other_way_round() {
    let good = fixture("layers.containerd.tar");
    let want = json_ok(&["inspect", &good]);
    let null_index = rewrite(&good, "null-manifests.tar", &|p, _| {
        (p == "index.json").then(|| {
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":null}"#.to_vec()
        })
    });
    let ov = json_ok(&["overview", "--format", "json", &null_index]);
    let notes = codes(&ov);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("index-json-ignored index.json") && n.contains("null")),
        "names what was ignored and why: {notes:?}"
    );
    assert_eq!(ov["repo_tags"], serde_json::json!(["strata/layers:1"]));
    assert_eq!(json_ok(&["inspect", &null_index])[0]["Id"], want[0]["Id"]);
    let files = json_ok(&["ls", "--format", "json", &null_index]);
    assert_eq!(
        files["files"],
        json_ok(&["ls", "--format", "json", &good])["files"]
    );

    let bad_manifest = rewrite(&good, "bad-manifest-json.tar", &|p, _| {
        (p == "manifest.json").then(|| br#"[{"Config": 5}]"#.to_vec())
    });
    let ov = json_ok(&["overview", "--format", "json", &bad_manifest]);
    assert!(
        codes(&ov)
            .iter()
            .any(|n| n.starts_with("manifest-json-ignored manifest.json")),
        "{:?}",
        codes(&ov)
    );
    assert_eq!(json_ok(&["inspect", &bad_manifest])[0]["Id"], want[0]["Id"]);

    let both = rewrite(&null_index, "both-broken.tar", &|p, _| {
        (p == "manifest.json").then(|| b"[{\"Config\": 5}]".to_vec())
    });
    let (code, _, err) = run(&["overview", &both]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("index.json"), "{err}");
}

#[test]
fn image_names_compare_as_docker_normalises_them() {
    // containerd's export names the image `strata/layers:1` (a Docker Hub user repository).
    let ctr = fixture("layers.containerd.tar");
    let id = json_ok(&["inspect", &ctr])[0]["Id"].clone();
    for name in [
        "strata/layers:1",
        "docker.io/strata/layers:1",
        "index.docker.io/strata/layers:1",
    ] {
        assert_eq!(
            json_ok(&["inspect", "--image", name, &ctr])[0]["Id"],
            id,
            "{name}"
        );
    }
    // docker writes bare names for local images: `app` is app:latest in docker.io/library.
    let bare = rewrite(
        &fixture("layers.docker.tar"),
        "bare-name.docker.tar",
        &|p, data| {
            (p == "manifest.json").then(|| {
                let mut m: Value = serde_json::from_slice(data).unwrap();
                m[0]["RepoTags"] = serde_json::json!(["app", "emptyimage"]);
                serde_json::to_vec(&m).unwrap()
            })
        },
    );
    for name in [
        "app",
        "app:latest",
        "docker.io/library/app:latest",
        "index.docker.io/library/app:latest",
        "docker.io/library/app",
        "emptyimage:latest",
    ] {
        let (code, _, err) = run(&["ls", "--image", name, &bare]);
        assert_eq!(code, 0, "--image {name}: {err}");
    }
    for name in ["app:2", "library/app:2", "other/app", "ghcr.io/library/app"] {
        let (code, _, err) = run(&["ls", "--image", name, &bare]);
        assert_eq!(code, 2, "--image {name} names no image here");
        assert!(err.contains("app, emptyimage"), "{err}");
    }
    // A name pinned to the image's digest (for a docker save entry, its ID).
    let multi = fixture("multi-image.docker.tar");
    let listing = json_ok(&["images", "--format", "json", &multi]);
    let second = &listing["images"][1];
    let pinned = format!(
        "{}@{}",
        second["names"][0].as_str().unwrap(),
        second["digest"].as_str().unwrap()
    );
    let by_pin = json_ok(&["inspect", "--image", &pinned, &multi]);
    assert_eq!(by_pin[0]["Id"], second["digest"]);
}

#[test]
fn a_multi_image_archive_is_not_read_as_its_first_image() {
    let multi = fixture("multi-image.docker.tar");
    for cmd in [
        &["ls"][..],
        &["ci"],
        &["inspect"],
        &["history"],
        &["hints"],
        &["overview"],
        &["config"],
        &["timeline", "--", "/bin/busybox"],
    ] {
        let mut argv: Vec<&str> = cmd.to_vec();
        let at = argv.iter().position(|a| *a == "--").unwrap_or(argv.len());
        argv.insert(at, &multi);
        argv.retain(|a| *a != "--");
        let (code, out, err) = run(&argv);
        assert_eq!(code, 2, "strata {argv:?} refuses to guess: {err}");
        assert!(out.is_empty(), "prints nothing on stdout");
        for name in [
            "localhost/strata/base:1",
            "localhost/strata/layers:1",
            "localhost/strata/waste3:1",
            "--image",
        ] {
            assert!(
                err.contains(name),
                "strata {argv:?}: the message lists {name}: {err}"
            );
        }
    }
    let (code, _, err) = run(&["ls", "--image", "1", &multi]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["diff", "--image-a", "0", "--image-b", "2", &multi, &multi]);
    assert_eq!(code, 0, "two images of one archive: {err}");
}

/// The Helm chart artifact: pushed by `oras` (PyPI) to the open test registry, then copied
/// into an OCI archive by skopeo. Returns (registry reference, archive).
fn helm_artifact() -> (String, String) {
    let reference = format!("{}/strata/chart:0.1.0", open_registry());
    let dir = root().join("target/real-world/chart");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("config.json"),
        r#"{"name":"demo","version":"0.1.0","apiVersion":"v2"}"#,
    )
    .unwrap();
    let tgz = Command::new("tar")
        .current_dir(&dir)
        .args(["czf", "demo-0.1.0.tgz", "Chart.yaml"])
        .status()
        .unwrap();
    assert!(tgz.success());
    // oras-py lives in the supply-chain venv that `scripts/setup.sh test` makes
    // (scripts/supply-chain-fixtures.sh venv); the system Python has no oras.
    let python = root().join("target/tools/venv/bin/python");
    let push = Command::new(&python)
        .current_dir(&dir)
        .arg("-c")
        .arg(format!(
            "import oras.client\n\
             c = oras.client.OrasClient(insecure=True)\n\
             c.push(target={reference:?}, files=['demo-0.1.0.tgz:application/vnd.cncf.helm.chart.content.v1.tar+gzip'], \
             manifest_config='config.json:application/vnd.cncf.helm.config.v1+json', disable_path_validation=True)\n"
        ))
        .output()
        .unwrap();
    assert!(
        push.status.success(),
        "oras push with {} (scripts/setup.sh test makes that venv): {}",
        python.display(),
        String::from_utf8_lossy(&push.stderr)
    );
    let archive = dir.join("chart.oci.tar");
    let _ = std::fs::remove_file(&archive);
    let copy = Command::new("skopeo")
        .args([
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{reference}"),
        ])
        .arg(format!("oci-archive:{}", archive.display()))
        .output()
        .unwrap();
    assert!(
        copy.status.success(),
        "{}",
        String::from_utf8_lossy(&copy.stderr)
    );
    (reference, archive.to_string_lossy().into_owned())
}

#[test]
fn an_oci_artifact_is_shown_raw_and_never_read_as_a_filesystem() {
    let (reference, archive) = helm_artifact();
    for image in [&reference, &archive] {
        let ov = json_ok(&["overview", "--format", "json", image]);
        assert_eq!(
            ov["artifact"], "application/vnd.cncf.helm.config.v1+json",
            "{image}"
        );
        let (code, text, _) = run(&["overview", image]);
        assert_eq!(code, 0);
        assert!(
            String::from_utf8(text)
                .unwrap()
                .contains("Artifact:   application/vnd.cncf.helm.config.v1+json")
        );
        let (code, config, _) = run(&["config", image]);
        assert_eq!(code, 0);
        assert_eq!(
            config,
            br#"{"name":"demo","version":"0.1.0","apiVersion":"v2"}"#
        );
        let (code, manifest, _) = run(&["manifest", image]);
        assert_eq!(code, 0);
        let m: Value = serde_json::from_slice(&manifest).unwrap();
        assert_eq!(
            m["config"]["mediaType"],
            "application/vnd.cncf.helm.config.v1+json"
        );
        for cmd in [
            &["ls"][..],
            &["ci"],
            &["hints"],
            &["inspect"],
            &["history"],
            &["overview", "--verify"],
        ] {
            let mut argv = cmd.to_vec();
            argv.push(image);
            let (code, _, err) = run(&argv);
            assert_eq!(code, 2, "strata {argv:?}: {err}");
            assert!(
                err.contains("an OCI artifact of type application/vnd.cncf.helm.config.v1+json, not a container image"),
                "strata {argv:?}: {err}"
            );
        }
    }
}

#[test]
fn a_docker_manifest_list_in_a_dir_copy_opens_every_platform() {
    // buildah manifest push --format v2s2 … dir: (tests/data/manifest-list-dir.sh).
    let dir = root().join("target/real-world/list-dir");
    let status = Command::new(root().join("crates/strata-cli/tests/data/manifest-list-dir.sh"))
        .arg(&dir)
        .status()
        .expect("buildah (scripts/setup.sh test installs it)");
    assert!(status.success());
    let list: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        list["mediaType"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    let d = dir.to_str().unwrap();
    let listing = json_ok(&["images", "--format", "json", d]);
    let mut platforms: Vec<&str> = listing["images"][0]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    platforms.sort_unstable();
    assert_eq!(platforms, ["linux/amd64", "linux/arm/v7", "linux/arm64"]);
    for instance in list["manifests"].as_array().unwrap() {
        let p = &instance["platform"];
        let platform = [
            p["os"].as_str(),
            p["architecture"].as_str(),
            p["variant"].as_str(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("/");
        let digest = instance["digest"].as_str().unwrap();
        // buildah's own instance manifest names the config: its digest is our image ID.
        let manifest: Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("{}.manifest.json", &digest[7..]))).unwrap(),
        )
        .unwrap();
        let inspect = json_ok(&["inspect", "--like", "podman", "--platform", &platform, d]);
        assert_eq!(inspect[0]["Id"], manifest["config"]["digest"], "{platform}");
        let ov = json_ok(&["overview", "--format", "json", "--platform", &platform, d]);
        assert_eq!(ov["manifest_digest"], digest, "{platform}");
        let files = json_ok(&["ls", "--format", "json", "--platform", &platform, d]);
        assert!(
            files["files"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["path"] == "hello.txt"),
            "{platform}: {files}"
        );
    }
}

/// go-containerregistry's tarball layout (`crane pull`, ko, `tarball.Write`): a `manifest.json`
/// like `docker save`'s, the config named `sha256:<hex>`, the layers kept compressed as
/// `<hex of the gzip>.tar.gz`. No Go tool here can fetch go-containerregistry, so this is made
/// from its documented layout, from the skopeo docker-archive fixture.
fn crane_tarball() -> String {
    use std::io::Write;
    let src = fixture("layers.docker.tar");
    let mut input = tar::Archive::new(std::fs::File::open(&src).unwrap());
    let mut files = std::collections::HashMap::new();
    for entry in input.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        files.insert(path, data);
    }
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let config = &files[manifest[0]["Config"].as_str().unwrap()];
    let config_name = format!("sha256:{}", strata_core::Digest::sha256_of(config).hex());
    let mut out = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        out.append_data(&mut h, name, data).unwrap();
    };
    add(&config_name, config);
    let mut layers = Vec::new();
    for l in manifest[0]["Layers"].as_array().unwrap() {
        let tar = &files[l.as_str().unwrap()];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(tar).unwrap();
        let gz = gz.finish().unwrap();
        let name = format!("{}.tar.gz", strata_core::Digest::sha256_of(&gz).hex());
        add(&name, &gz);
        layers.push(name);
    }
    let m = serde_json::json!([{"Config": config_name, "RepoTags": ["index.docker.io/strata/layers:1"], "Layers": layers}]);
    add("manifest.json", &serde_json::to_vec(&m).unwrap());
    // Tests run in any order on a fresh clone: this one may be the first to
    // write under target/real-world.
    let dir = root().join("target/real-world");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("crane.tar");
    std::fs::write(&path, out.into_inner().unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn a_go_containerregistry_tarball_reads_with_its_compressed_layers_verified() {
    let crane = crane_tarball();
    let (code, text, err) = run(&["overview", "--verify", &crane]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("every digest and diff_id matches"), "{text}");
    let ov = json_ok(&["overview", "--format", "json", &crane]);
    for l in ov["layers"].as_array().unwrap() {
        assert!(
            l["digest"].is_string(),
            "each layer's digest comes from its name: {l}"
        );
        assert_eq!(l["compression"], "gzip");
    }
    assert_eq!(ov["repo_tags"], serde_json::json!(["strata/layers:1"]));
    let want = json_ok(&["ls", "--format", "json", &fixture("layers.docker.tar")]);
    assert_eq!(
        json_ok(&["ls", "--format", "json", &crane])["files"],
        want["files"]
    );
    assert_eq!(
        json_ok(&["inspect", &crane])[0]["Id"],
        json_ok(&["inspect", &fixture("layers.docker.tar")])[0]["Id"]
    );
}

/// A 3 MiB file of three short runs of bytes in holes, as GNU tar stores it with `--sparse` in
/// each of its formats, each tar a layer of its own image (umoci adds it verbatim, gzipped);
/// skopeo copies each image to an oci-archive (the layer gzipped) and a docker-archive (the
/// layer as it is). Strata lists the file at its real size and `cat` gives the file's bytes.
#[test]
fn sparse_files_from_gnu_tar_read_back_byte_for_byte() {
    let dir = root().join("target/real-world-sparse");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("root")).unwrap();
    let holes = dir.join("root/holes.bin");
    let size = 3u64 << 20;
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::File::create(&holes).unwrap();
        f.set_len(size).unwrap();
        for (at, bytes) in [(0, &b"head"[..]), (1 << 20, b"middle"), (size - 4, b"tail")] {
            f.seek(SeekFrom::Start(at)).unwrap();
            f.write_all(bytes).unwrap();
        }
    }
    std::fs::write(dir.join("root/plain.txt"), "plain\n").unwrap();
    let want = std::fs::read(&holes).unwrap();
    let script = r#"
set -euo pipefail
export SOURCE_DATE_EPOCH=1700000000
tar --format=gnu --sparse -cf gnu.tar -C root .
for v in 0.0 0.1 1.0; do tar --format=posix --sparse --sparse-version=$v -cf pax-$v.tar -C root .; done
for t in gnu pax-0.0 pax-0.1 pax-1.0; do
  umoci init --layout $t >/dev/null
  umoci new --image $t:s >/dev/null
  umoci raw add-layer --image $t:s $t.tar >/dev/null
  skopeo copy -q oci:$t:s oci-archive:$t.oci.tar
  skopeo copy -q oci:$t:s docker-archive:$t.docker.tar:strata/sparse:1
done
"#;
    common::bash_in(&dir, script, "GNU tar, umoci and skopeo");
    for t in ["gnu", "pax-0.0", "pax-0.1", "pax-1.0"] {
        // The holes are not stored: this tar is a sparse one (else the test proves nothing).
        let tar_len = std::fs::metadata(dir.join(format!("{t}.tar")))
            .unwrap()
            .len();
        assert!(
            tar_len < 64 << 10,
            "{t}: GNU tar stored the holes ({tar_len} bytes)"
        );
        for archive in [format!("{t}.oci.tar"), format!("{t}.docker.tar")] {
            let archive = dir.join(&archive);
            let archive = archive.to_str().unwrap();
            let ls = json_ok(&["ls", "--layer", "1", "--format", "json", archive]);
            let files = ls["files"].as_array().unwrap();
            let file = files
                .iter()
                .find(|f| f["path"] == "holes.bin")
                .unwrap_or_else(|| panic!("{archive}: no holes.bin in {ls}"));
            assert_eq!(file["size"], size, "{archive}: {file}");
            assert_eq!(files.len(), 2, "{archive}: {ls}"); // holes.bin, plain.txt ("." is the root)
            let (code, got, err) = run(&["cat", archive, "holes.bin"]);
            assert_eq!(code, 0, "{archive}: {err}");
            assert!(
                got == want,
                "{archive}: cat gave {} bytes, not the file's",
                got.len()
            );
            let (code, got, err) = run(&["cat", archive, "plain.txt"]);
            assert_eq!(
                (code, got.as_slice()),
                (0, &b"plain\n"[..]),
                "{archive}: {err}"
            );
        }
    }
}
