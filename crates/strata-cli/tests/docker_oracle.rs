//! `strata history` and `strata inspect` against docker's own output for the same archives:
//! each docker-archive fixture `docker load`ed into a private Docker engine by
//! `scripts/docker-oracle.sh` (run by the test command), then `docker history --human=false`
//! (sizes in bytes as docker counts them: the bytes of a layer's files, not its tar) and
//! `docker image inspect`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{fixture, root, run};
use serde_json::Value;
use std::path::PathBuf;

const FLAVOURS: [&str; 7] = [
    "layers.docker",
    "waste3.docker",
    "waste50.docker",
    "waste-demo.docker",
    "hints.docker",
    "clean.docker",
    "base.docker",
];

fn docker_dir() -> PathBuf {
    let dir = std::env::var_os("STRATA_FIXTURES")
        .map_or_else(|| root().join("target/fixtures"), PathBuf::from)
        .join("docker");
    assert!(
        dir.join("STAMP").is_file(),
        "no docker oracle in {}: run scripts/docker-oracle.sh (the test command does)",
        dir.display()
    );
    dir
}

fn lines(path: PathBuf) -> Vec<Value> {
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[track_caller]
fn json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "strata {args:?}: {err}");
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn history_sizes_are_docker_s_byte_for_byte_and_as_docker_prints_them() {
    for flavour in FLAVOURS {
        let archive = fixture(&format!("{flavour}.tar"));
        let ours = json(&["history", "--format", "json", "--no-trunc", &archive]);
        let ours = ours.as_array().unwrap();
        let bytes = lines(docker_dir().join(flavour).join("history.jsonl"));
        let human = lines(docker_dir().join(flavour).join("history-human.jsonl"));
        assert_eq!(ours.len(), bytes.len(), "{flavour}: rows");
        for ((o, b), h) in ours.iter().zip(&bytes).zip(&human) {
            assert_eq!(o["CreatedBy"], b["CreatedBy"], "{flavour}");
            assert_eq!(
                o["SizeBytes"].as_u64().unwrap().to_string(),
                b["Size"].as_str().unwrap(),
                "{flavour}: {}",
                b["CreatedBy"]
            );
            assert_eq!(o["Size"], h["Size"], "{flavour}: SIZE as docker prints it");
        }
        // The table's SIZE column is docker's too.
        let (code, table, _) = run(&["history", &archive]);
        assert_eq!(code, 0);
        let table = String::from_utf8(table).unwrap();
        for (row, h) in table.lines().skip(1).zip(&human) {
            assert!(
                row.split("   ")
                    .any(|c| c.trim() == h["Size"].as_str().unwrap()),
                "{flavour}: `{row}` has docker's {}",
                h["Size"]
            );
        }
    }
}

#[test]
fn inspect_is_docker_s_size_tags_and_no_repo_digests_for_a_docker_save_archive() {
    for flavour in FLAVOURS {
        let archive = fixture(&format!("{flavour}.tar"));
        let ours = &json(&["inspect", &archive])[0];
        let docker = &serde_json::from_str::<Value>(
            &std::fs::read_to_string(docker_dir().join(flavour).join("inspect.json")).unwrap(),
        )
        .unwrap()[0];
        for field in [
            "Id",
            "RepoTags",
            "RepoDigests",
            "Size",
            "Created",
            "Architecture",
            "Os",
            "Comment",
            "Author",
            "Parent",
        ] {
            assert_eq!(ours[field], docker[field], "{flavour}: {field}");
        }
        assert_eq!(ours["RootFS"], docker["RootFS"], "{flavour}");
        for field in [
            "Env",
            "Cmd",
            "Entrypoint",
            "WorkingDir",
            "User",
            "Labels",
            "ExposedPorts",
        ] {
            let (o, d) = (&ours["Config"][field], &docker["Config"][field]);
            assert!(
                o == d || (o.is_null() && d.is_null()),
                "{flavour}: Config.{field}: {o} vs {d}"
            );
        }
    }
    // The derived manifest digest is still there, said to be what skopeo and podman compute.
    let (_, text, _) = run(&["overview", &fixture("layers.docker.tar")]);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("(derived, as skopeo/podman derive it)"),
        "{text}"
    );
}

/// A private Docker engine for one test (Debian's dockerd, its own data root and socket, no
/// network), stopped when dropped.
struct Dockerd {
    child: std::process::Child,
    dir: PathBuf,
    host: String,
}

impl Dockerd {
    fn start() -> Dockerd {
        let dir = std::env::temp_dir().join(format!("strata-dockerd-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let host = format!("unix://{}", dir.join("docker.sock").display());
        let child = std::process::Command::new("/usr/sbin/dockerd")
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("docker.pid"))
            .args(["-H", &host])
            .args([
                "--iptables=false",
                "--ip-forward=false",
                "--ip-masq=false",
                "--bridge=none",
            ])
            .args(["--storage-driver=overlay2"])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.join("dockerd.log")).unwrap())
            .spawn()
            .expect("dockerd (scripts/setup.sh test installs docker.io)");
        let d = Dockerd { child, dir, host };
        for _ in 0..120 {
            if d.docker(&["version"]).status.success() {
                return d;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        panic!(
            "dockerd did not start: {}",
            std::fs::read_to_string(d.dir.join("dockerd.log")).unwrap_or_default()
        );
    }

    fn docker(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new("/usr/bin/docker")
            .env("DOCKER_HOST", &self.host)
            .env("DOCKER_BUILDKIT", "0")
            .args(args)
            .output()
            .unwrap()
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Unmount what the overlay storage left below the data root, then remove it.
        if let Ok(mounts) = std::fs::read_to_string("/proc/mounts") {
            let mut ours: Vec<&str> = mounts
                .lines()
                .filter_map(|l| l.split(' ').nth(1))
                .filter(|m| m.starts_with(self.dir.to_str().unwrap_or("-")))
                .collect();
            ours.sort_by(|a, b| b.cmp(a));
            for m in ours {
                let _ = std::process::Command::new("umount")
                    .args(["-l", m])
                    .status();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn the_reconstructed_dockerfile_rebuilds_the_image_docker_s_legacy_builder_made() {
    // legacy.docker.tar: built by docker's legacy builder (scripts/docker-oracle.sh), whose
    // history holds Go-formatted instructions (`CMD ["a" "b"]`, `VOLUME [/a /b]`,
    // `HEALTHCHECK &{…}`, unquoted LABEL and ENV values). Strata's Dockerfile, given the base,
    // is built again by the same builder: the new image must have the same config and history.
    let legacy = fixture("legacy.docker.tar");
    let (code, dockerfile, err) =
        run(&["dockerfile", "--base", &fixture("base.docker.tar"), &legacy]);
    assert_eq!(code, 0, "{err}");
    let dockerfile = String::from_utf8(dockerfile).unwrap();
    assert!(dockerfile.contains("FROM strata/base:1\n"), "{dockerfile}");
    let d = Dockerd::start();
    assert!(
        d.docker(&["load", "-i", &fixture("base.docker.tar")])
            .status
            .success()
    );
    let ctx = d.dir.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Dockerfile"), &dockerfile).unwrap();
    let built = d.docker(&[
        "build",
        "-q",
        "--network",
        "none",
        "-t",
        "strata/rebuilt:1",
        ctx.to_str().unwrap(),
    ]);
    assert!(
        built.status.success(),
        "docker build of\n{dockerfile}\nfailed: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let inspect: Value =
        serde_json::from_slice(&d.docker(&["image", "inspect", "strata/rebuilt:1"]).stdout)
            .unwrap();
    let original: Value = serde_json::from_str(
        &std::fs::read_to_string(docker_dir().join("legacy.docker/inspect.json")).unwrap(),
    )
    .unwrap();
    for field in [
        "Env",
        "Cmd",
        "Entrypoint",
        "Healthcheck",
        "Volumes",
        "ExposedPorts",
        "Labels",
        "User",
        "WorkingDir",
        "StopSignal",
    ] {
        assert_eq!(
            inspect[0]["Config"][field], original[0]["Config"][field],
            "Config.{field} of the rebuilt image, from\n{dockerfile}"
        );
    }
    let created_by = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|r| {
                r["CreatedBy"]
                    .as_str()
                    .unwrap()
                    .replace("#(nop)  ", "#(nop) ")
            })
            .collect()
    };
    let rebuilt: Vec<Value> = String::from_utf8(
        d.docker(&[
            "history",
            "--no-trunc",
            "--format",
            "{{json .}}",
            "strata/rebuilt:1",
        ])
        .stdout,
    )
    .unwrap()
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect();
    let first = lines(docker_dir().join("legacy.docker/history.jsonl"));
    assert_eq!(
        created_by(&rebuilt),
        created_by(&first),
        "the same steps, recorded the same way"
    );
}
