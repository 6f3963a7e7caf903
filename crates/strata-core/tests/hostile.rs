//! Hostile and broken input: every case ends in a typed error or a diagnostic that names the
//! limit or the offset, never a panic, a hang or unbounded memory. Archives are built here by
//! hand on purpose (real tools do not write these).

#![allow(clippy::unwrap_used)]

use std::io::Write;
use strata_core::tree::ImageTree;
use strata_core::{
    Error, LayerScanner, Limits, ManifestPick, MemorySource, load_image, open_archive,
};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

macro_rules! engine_test {
    ($(fn $name:ident() $body:block)*) => {$(
        #[cfg_attr(not(target_arch = "wasm32"), test)]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn $name() $body
    )*};
}

/// A raw ustar header block (so any name, type or size can be written, lies included).
fn header(name: &[u8], typeflag: u8, size: u64, link: &[u8]) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    let s = format!("{size:011o}");
    h[124..135].copy_from_slice(&s.as_bytes()[s.len() - 11..]);
    h[136..147].copy_from_slice(b"14000000000");
    h[156] = typeflag;
    h[157..157 + link.len().min(100)].copy_from_slice(&link[..link.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    checksum(&mut h);
    h
}

fn checksum(h: &mut [u8; 512]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
}

/// A PAX record block for a long path.
fn pax_path(path: &[u8]) -> Vec<u8> {
    let rec = [b"path=".as_slice(), path].concat();
    let mut len = rec.len() + 3;
    loop {
        let want = format!("{len} ").len() + rec.len() + 1;
        if want == len {
            break;
        }
        len = want;
    }
    let mut data = format!("{len} ").into_bytes();
    data.extend(rec);
    data.push(b'\n');
    let mut out = header(b"PaxHeader", b'x', data.len() as u64, b"").to_vec();
    out.extend(&data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn file(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = header(name, b'0', data.len() as u64, b"").to_vec();
    out.extend(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn end(mut t: Vec<u8>) -> Vec<u8> {
    t.extend([0u8; 1024]);
    t
}

fn scan(tar: &[u8]) -> strata_core::LayerScan {
    let mut s = LayerScanner::new(None, &Limits::default());
    s.push(tar);
    s.finish()
}

fn codes(scan: &strata_core::LayerScan) -> Vec<String> {
    scan.index
        .diagnostics
        .iter()
        .map(|d| d.code.clone())
        .collect()
}

engine_test! {
    fn escaping_and_absolute_paths_are_refused_or_normalised() {
        let tar = end([file(b"../../etc/passwd", b"x"), file(b"a/../../b", b"y"), file(b"/abs/olute", b"z"), file(b"./ok", b"w")].concat());
        let s = scan(&tar);
        assert!(s.error.is_none());
        assert_eq!(codes(&s), ["unsafe-path", "unsafe-path"]);
        let paths: Vec<String> = s.index.entries.iter().map(|e| s.index.path(e)).collect();
        assert_eq!(paths, ["abs/olute", "ok"]);
        assert!(s.index.diagnostics[0].subject.contains("../../etc/passwd"));
    }

    fn link_loops_and_links_outside_do_not_hang() {
        let tar = end(
            [
                header(b"loop", b'2', 0, b"loop").to_vec(),
                header(b"a", b'2', 0, b"b").to_vec(),
                header(b"b", b'2', 0, b"a").to_vec(),
                header(b"hl", b'1', 0, b"../../etc/shadow").to_vec(),
                header(b"hl2", b'1', 0, b"hl2").to_vec(),
                header(b"early", b'1', 0, b"later").to_vec(),
                file(b"later", b"content"),
            ]
            .concat(),
        );
        let s = scan(&tar);
        assert!(s.error.is_none());
        assert!(codes(&s).contains(&"unsafe-hardlink".to_owned()));
        let tree = ImageTree::build(vec![s.index]);
        let merged = tree.merged(0);
        assert_eq!(merged.len(), 7);
        // A hard link to a later entry resolves to it.
        let early = merged.iter().find(|f| f.path == "early").unwrap();
        assert_eq!(early.size, 7);
        // A hard link to itself resolves to nothing, without looping.
        let hl2 = merged.iter().find(|f| f.path == "hl2").unwrap();
        assert_eq!(hl2.size, 0);
    }

    fn whiteouts_of_the_root_and_nameless_whiteouts() {
        let lower = end([file(b"etc/passwd", b"root"), file(b"bin/sh", b"sh")].concat());
        // An opaque root hides every lower file; a `.wh.` with no name deletes nothing.
        let upper = end([file(b".wh..wh..opq", b""), file(b".wh.", b""), file(b"new", b"n")].concat());
        let (l, u) = (scan(&lower), scan(&upper));
        assert!(codes(&u).contains(&"bad-whiteout".to_owned()));
        let tree = ImageTree::build(vec![l.index, u.index]);
        let paths: Vec<String> = tree.merged(1).into_iter().map(|f| f.path).collect();
        assert_eq!(paths, ["new"]);
    }

    fn deep_and_long_paths_are_named_limits() {
        let deep = "d/".repeat(2000) + "f";
        let long = "x".repeat(5000);
        let tar = end([pax_path(deep.as_bytes()), file(b"placeholder", b"1"), pax_path(long.as_bytes()), file(b"p2", b"2"), file(b"fine", b"3")].concat());
        let s = scan(&tar);
        assert!(s.error.is_none(), "{:?}", s.error);
        assert_eq!(codes(&s), ["path-too-deep", "path-too-long"]);
        assert!(s.index.diagnostics[0].message.contains("max_path_depth"));
        assert!(s.index.diagnostics[1].message.contains("max_path_bytes"));
        assert_eq!(s.index.entries.len(), 1);
    }

    fn a_size_past_the_end_or_a_bad_checksum_is_damage_with_an_offset() {
        let mut t = header(b"big", b'0', 1 << 32, b"").to_vec();
        t.extend([1u8; 100]);
        let s = scan(&t);
        let e = s.error.unwrap();
        assert_eq!(e.kind, "truncated");
        assert!(e.detail.contains("big") && e.detail.contains("offset"), "{}", e.detail);
        let mut bad = header(b"x", b'0', 0, b"");
        bad[0] = b'y'; // checksum no longer matches
        let s = scan(&end([file(b"ok", b"1"), bad.to_vec()].concat()));
        let e = s.error.unwrap();
        assert_eq!(e.kind, "corrupt-tar");
        assert!(e.detail.contains("offset 1024"), "{}", e.detail);
        assert_eq!(s.index.entries.len(), 1, "what came before the damage is kept");
    }

    fn a_gzip_stream_that_never_ends_is_truncation() {
        let tar = end(file(b"a", &[7u8; 10_000]));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let gz = gz.finish().unwrap();
        for cut in [gz.len() - 4, gz.len() / 2, 11] {
            let s = scan(&gz[..cut]);
            let e = s.error.unwrap_or_else(|| panic!("cut at {cut} accepted"));
            assert!(["decompress", "truncated"].contains(&e.kind.as_str()), "{e:?}");
        }
    }

    fn random_bytes_and_mutated_tars_never_panic() {
        let good = end([file(b"a/b", b"hello"), header(b"l", b'2', 0, b"a/b").to_vec(), file(b"a/.wh.c", b"")].concat());
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut rnd = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..400 {
            let mut t = if round % 4 == 0 {
                (0..(rnd() % 3000) as usize).map(|_| rnd() as u8).collect::<Vec<u8>>()
            } else {
                let mut t = good.clone();
                for _ in 0..1 + rnd() % 8 {
                    let i = (rnd() % t.len() as u64) as usize;
                    t[i] = rnd() as u8;
                }
                t
            };
            if round % 7 == 0 {
                t.truncate((rnd() % (t.len() as u64 + 1)) as usize);
            }
            let s = scan(&t);
            let _ = ImageTree::build(vec![s.index]);
        }
    }

    fn archive_level_lies_are_typed_errors() {
        // manifest.json pointing at a config that is not there.
        let manifest = br#"[{"Config":"nope.json","RepoTags":["x:1"],"Layers":["l.tar"]}]"#;
        let a = end(file(b"manifest.json", manifest));
        let archive = open_archive(&MemorySource::new(a.clone()), &Limits::default(), &mut |_| {}).unwrap();
        let err = load_image(&archive, &MemorySource::new(a), 0, &ManifestPick::Default, &Limits::default()).unwrap_err();
        assert_eq!(err.kind(), "missing-file");
        assert!(err.to_string().contains("nope.json") && err.to_string().contains("manifest.json"), "{err}");
        // A manifest.json of 100 MB (declared): refused by size, before any of it is read.
        let mut big = header(b"manifest.json", b'0', 100 << 20, b"").to_vec();
        big.extend(vec![b' '; 100 << 20]);
        let err = open_archive(&MemorySource::new(end(big)), &Limits::default(), &mut |_| {}).unwrap_err();
        assert!(matches!(&err, Error::LimitExceeded { limit: "max_json_bytes", .. }), "{err}");
        // An index that points to itself, directly.
        let index = br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1}]}"#;
        let a = end([file(b"oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#), file(b"index.json", index)].concat());
        let archive = open_archive(&MemorySource::new(a.clone()), &Limits::default(), &mut |_| {}).unwrap();
        let err = load_image(&archive, &MemorySource::new(a), 0, &ManifestPick::Default, &Limits::default()).unwrap_err();
        assert!(["missing-file", "no-such-image"].contains(&err.kind()), "{err}");
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn a_blob_that_is_its_own_index_stops_at_the_depth_limit() {
    // Content addressing makes a true loop impossible (a blob cannot contain its own hash), so
    // a hostile archive nests indexes instead: 12 deep, past `max_index_depth` (8).
    let blob_a_body = |b_digest: &str| {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{b_digest}","size":1}}]}}"#
        )
    };
    let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut last =
        "sha256:1111111111111111111111111111111111111111111111111111111111111111".to_owned();
    for _ in 0..12 {
        let body = blob_a_body(&last).into_bytes();
        let d = strata_core::Digest::sha256_of(&body).to_string();
        blobs.push((d.clone(), body));
        last = d;
    }
    let top = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{last}","size":1}}]}}"#
    );
    let mut t = [
        file(b"oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        file(b"index.json", top.as_bytes()),
    ]
    .concat();
    for (d, body) in &blobs {
        t.extend(file(format!("blobs/sha256/{}", &d[7..]).as_bytes(), body));
    }
    let a = end(t);
    let source = MemorySource::new(a);
    let archive = open_archive(&source, &Limits::default(), &mut |_| {}).unwrap();
    let err = load_image(
        &archive,
        &source,
        0,
        &ManifestPick::Default,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("max_index_depth"), "{err}");
}
