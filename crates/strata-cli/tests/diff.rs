//! `strata diff` on real images: two built from the same base share that layer's blob; one
//! image in two archive flavours is the same content; the file diff says what `ls` says.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::{STRATA, fixture, json};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

fn paths(ls: &Value) -> BTreeSet<String> {
    ls["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn images_from_one_base_share_its_blob_and_differ_in_files_as_ls_says() {
    let (a, b) = (fixture("layers.docker.tar"), fixture("clean.docker.tar"));
    let d = json(&["diff", "--format", "json", &a, &b]);
    let shared = d["shared_layers"].as_array().unwrap();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["by"], "digest");
    assert_eq!(shared[0]["a"]["layer"], 1);
    assert_eq!(d["only_a_layers"].as_array().unwrap().len(), 3);
    assert_eq!(d["only_b_layers"].as_array().unwrap().len(), 1);
    let keys: Vec<&str> = d["config"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"config.Cmd") && keys.contains(&"config.Labels.evil"),
        "{keys:?}"
    );
    assert_eq!(d["history"]["common"], 1);
    // Added and removed are exactly the difference of the two final listings.
    let (la, lb) = (
        paths(&json(&["ls", "--format", "json", &a])),
        paths(&json(&["ls", "--format", "json", &b])),
    );
    let files = d["files"].as_array().unwrap();
    let of = |c: &str| -> BTreeSet<String> {
        files
            .iter()
            .filter(|f| f["change"] == c)
            .map(|f| f["path"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(of("added"), lb.difference(&la).cloned().collect());
    assert_eq!(of("removed"), la.difference(&lb).cloned().collect());
    assert_eq!(d["summary"]["added"], of("added").len());
    // The table says the same.
    let out = Command::new(STRATA)
        .args(["diff", &a, &b])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Layers: 1 shared (2.03 MiB stored once), 3 only in A, 1 only in B"),
        "{text}"
    );
    assert!(text.contains("+ /srv/hello.txt  +6"), "{text}");
}

#[test]
fn one_image_in_two_flavours_is_the_same_content() {
    let d = json(&[
        "diff",
        "--format",
        "json",
        &fixture("layers.docker.tar"),
        &fixture("layers.oci-zstd.tar"),
    ]);
    let shared = d["shared_layers"].as_array().unwrap();
    assert_eq!(shared.len(), 4);
    assert!(
        shared.iter().all(|s| s["by"] == "diff_id"),
        "compressed differently: {shared:?}"
    );
    assert_eq!(d["files"].as_array().unwrap().len(), 0);
    assert_eq!(d["config"].as_array().unwrap().len(), 0);
    assert_eq!(d["a"]["id"], d["b"]["id"]);
    // Nothing is stored once: every layer is the same content in another blob.
    assert_eq!(d["summary"]["shared_bytes"], 0);
    let out = Command::new(STRATA)
        .args([
            "diff",
            &fixture("layers.docker.tar"),
            &fixture("layers.oci-zstd.tar"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Layers: 4 shared (0 the same blob: 0 B stored once; 4 the same content in another blob: stored twice)"),
        "{text}"
    );
}

/// An OCI layout with two images made by umoci: `a` with /etc/motd "hello\nworld\n" and a
/// binary /bin/tool, `b` the same with "hello\nthere\n" and another /bin/tool.
fn two_builds() -> std::path::PathBuf {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/diff-content");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = r#"
set -euo pipefail
export SOURCE_DATE_EPOCH=1700000000
umoci init --layout img >/dev/null
for t in a b; do
  umoci new --image img:$t >/dev/null
  umoci unpack --image img:$t $t >/dev/null
  mkdir -p $t/rootfs/etc $t/rootfs/bin
  if [ $t = a ]; then printf 'hello\nworld\n' > $t/rootfs/etc/motd; printf '\x7fELF\0\1' > $t/rootfs/bin/tool;
  else printf 'hello\nthere\n' > $t/rootfs/etc/motd; printf '\x7fELF\0\2' > $t/rootfs/bin/tool; fi
  umoci repack --image img:$t $t >/dev/null
done
"#;
    common::bash_in(&dir, script, "umoci");
    dir.join("img")
}

#[test]
fn content_diffs_show_changed_text_files_unified_and_binary_ones_as_differing() {
    let img = two_builds();
    let img = img.to_str().unwrap();
    let (code, out, err) = common::run(&[
        "diff",
        "--content",
        "--image-a",
        "a",
        "--image-b",
        "b",
        img,
        img,
    ]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("--- A/etc/motd\n+++ B/etc/motd\n@@ -1,2 +1,2 @@\n hello\n-world\n+there\n"),
        "{text}"
    );
    assert!(
        text.contains("Binary files A/bin/tool and B/bin/tool differ"),
        "{text}"
    );
    let v = json(&[
        "diff",
        "--content",
        "--format",
        "json",
        "--image-a",
        "a",
        "--image-b",
        "b",
        img,
        img,
    ]);
    let diffs = v["content_diffs"].as_array().unwrap();
    assert_eq!(diffs.len(), 2, "{diffs:?}");
    assert!(diffs.iter().any(
        |d| d["path"] == "etc/motd" && d["diff"].as_str().unwrap().contains("-world\n+there\n")
    ));
}
