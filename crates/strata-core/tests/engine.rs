//! The engine on real archives (made by umoci and skopeo, see scripts/tiny-fixtures.sh), run
//! natively by `cargo test` and in headless Chromium by `cargo test --target
//! wasm32-unknown-unknown`: the same code, the same answers. Every archive is also read through
//! a source that returns one byte per read, and one that returns random short reads.

#![allow(clippy::unwrap_used)]

use strata_core::{
    Archive, ArchiveFormat, Image, Limits, ManifestPick, MemorySource, ReadAt, ShortReads,
    load_image, open_archive,
};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// `#[test]` natively, `#[wasm_bindgen_test]` in wasm32.
macro_rules! engine_test {
    ($(fn $name:ident() $body:block)*) => {$(
        #[cfg_attr(not(target_arch = "wasm32"), test)]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn $name() $body
    )*};
}

const DOCKER: &[u8] = include_bytes!("data/tiny.docker.tar");
const OCI: &[u8] = include_bytes!("data/tiny.oci.tar");
const OCI_ZSTD: &[u8] = include_bytes!("data/tiny.oci-zstd.tar");
const SKOPEO_DOCKER: &str = include_str!("data/tiny.docker.skopeo.json");
const SKOPEO_OCI: &str = include_str!("data/tiny.oci.skopeo.json");
const SKOPEO_OCI_ZSTD: &str = include_str!("data/tiny.oci-zstd.skopeo.json");
const DIFF_IDS: &str = include_str!("data/tiny.diff_ids.json");

/// The three ways of reading every fixture.
fn sources(bytes: &'static [u8]) -> Vec<(&'static str, Box<dyn ReadAt>)> {
    vec![
        ("whole reads", Box::new(MemorySource::new(bytes))),
        (
            "one byte per read",
            Box::new(ShortReads::one_byte(MemorySource::new(bytes))),
        ),
        (
            "random short reads",
            Box::new(ShortReads::random(MemorySource::new(bytes), 0x5eed)),
        ),
    ]
}

fn open(source: &dyn ReadAt) -> (Archive, Image) {
    let limits = Limits::default();
    let archive = open_archive(source, &limits, &mut |_| {}).unwrap();
    let image = load_image(&archive, source, 0, &ManifestPick::Default, &limits).unwrap();
    (archive, image)
}

/// Checks an image against what `skopeo inspect` said about the same archive.
#[track_caller]
fn check(bytes: &'static [u8], skopeo: &str, format: ArchiveFormat) {
    let skopeo: serde_json::Value = serde_json::from_str(skopeo).unwrap();
    let diff_ids: Vec<String> = serde_json::from_str(DIFF_IDS).unwrap();
    for (how, source) in sources(bytes) {
        let (archive, image) = open(source.as_ref());
        assert_eq!(archive.format, format, "{how}");
        assert_eq!(
            image.manifest.digest.as_str(),
            skopeo["Digest"].as_str().unwrap(),
            "manifest digest, {how}"
        );
        let layers: Vec<String> = image
            .layers
            .iter()
            .map(|l| l.digest.as_ref().unwrap().to_string())
            .collect();
        let want: Vec<String> = serde_json::from_value(skopeo["Layers"].clone()).unwrap();
        assert_eq!(layers, want, "layer digests, {how}");
        let got_diff_ids: Vec<String> = image
            .layers
            .iter()
            .map(|l| l.diff_id.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(got_diff_ids, diff_ids, "diff_ids, {how}");
        assert_eq!(image.platform.spec(), "linux/amd64", "{how}");
        assert_eq!(
            image.parsed_config.created.as_deref(),
            skopeo["Created"].as_str(),
            "{how}"
        );
        assert!(
            image
                .diagnostics
                .iter()
                .all(|d| d.severity != strata_core::Severity::Error),
            "{how}: {:?}",
            image.diagnostics
        );
    }
}

engine_test! {
    fn reads_a_docker_archive() {
        check(DOCKER, SKOPEO_DOCKER, ArchiveFormat::DockerArchive);
        let (_, image) = open(&MemorySource::new(DOCKER));
        assert_eq!(image.repo_tags, vec!["docker.io/strata/tiny:1".to_owned()]);
        assert!(image.manifest_synthesized);
    }

    fn reads_an_oci_archive_with_gzip_layers() {
        check(OCI, SKOPEO_OCI, ArchiveFormat::OciLayout);
    }

    fn reads_an_oci_archive_with_zstd_layers() {
        check(OCI_ZSTD, SKOPEO_OCI_ZSTD, ArchiveFormat::OciLayout);
        let (_, image) = open(&MemorySource::new(OCI_ZSTD));
        assert!(image.layers.iter().all(|l| l.compression == Some(strata_core::Compression::Zstd)));
    }

    fn the_image_id_is_the_config_digest() {
        let (_, a) = open(&MemorySource::new(DOCKER));
        let (_, b) = open(&MemorySource::new(OCI));
        assert_eq!(a.id(), b.id());
        assert_eq!(a.id(), &strata_core::Digest::sha256_of(&b.config.bytes));
    }

    fn every_truncation_is_an_error_never_a_panic() {
        // Cut the archive at many points, structural boundaries included.
        let limits = Limits::default();
        for bytes in [DOCKER, OCI] {
            for cut in (0..bytes.len()).step_by(97).chain([511, 512, 513, 1024, bytes.len() - 1]) {
                let source = MemorySource::new(&bytes[..cut]);
                match open_archive(&source, &limits, &mut |_| {}) {
                    Err(e) => assert!(
                        ["empty", "not-a-tar", "truncated", "missing-file", "not-an-image", "bad-json", "corrupt-tar"]
                            .contains(&e.kind()),
                        "cut at {cut}: unexpected {e}"
                    ),
                    Ok(archive) => {
                        // The structure survived the cut (it was past the headers): loading
                        // may still fail, but only with an error.
                        let _ = load_image(&archive, &source, 0, &ManifestPick::Default, &limits);
                    }
                }
            }
        }
    }
}

/// Scans every layer through the given source, builds the tree.
fn analyse(source: &dyn ReadAt) -> strata_core::Analysis {
    let (_, mut image) = open(source);
    strata_core::scan_image(&mut image, source, &Limits::default(), &mut |_, _, _| true).unwrap()
}

engine_test! {
    fn layers_scan_the_same_through_any_reader_and_compression() {
        let mut reference: Option<Vec<strata_core::FileInfo>> = None;
        for bytes in [DOCKER, OCI, OCI_ZSTD] {
            for (how, source) in sources(bytes) {
                let analysis = analyse(source.as_ref());
                assert!(analysis.diagnostics.is_empty(), "{how}: {:?}", analysis.diagnostics);
                // Every layer's diff_id matched the config (no diagnostics) and was computed.
                assert!(analysis.scans.iter().all(|s| s.as_ref().unwrap().diff_id.is_some()), "{how}");
                let merged = analysis.tree.merged(1);
                match &reference {
                    None => reference = Some(merged),
                    Some(r) => assert_eq!(&merged, r, "{how}: every flavour gives the same filesystem"),
                }
            }
        }
        let merged = reference.unwrap();
        let paths: Vec<&str> = merged.iter().map(|f| f.path.as_str()).collect();
        assert!(paths.contains(&"new.txt") && paths.contains(&"a.txt"));
        assert!(!paths.contains(&"dir/b.txt"), "the whiteout deleted dir/b.txt");
        let long = paths.iter().find(|p| p.len() > 100).expect("the long path survives");
        assert!(long.ends_with("in-the-ustar-header.txt"));
        assert!(paths.contains(&"café.txt"));
    }

    fn snapshots_round_trip_and_refuse_damaged_indexes() {
        use strata_core::snapshot::{Snapshot, VERSION, decode, encode};
        let source = MemorySource::new(OCI);
        let (_, image) = open(&source);
        let scans: Vec<Option<strata_core::LayerScan>> = image
            .layers
            .iter()
            .map(|l| {
                l.location.map(|loc| {
                    strata_core::scan_layer(&source, loc.offset, loc.len, &Limits::default(), &mut |_| true).unwrap()
                })
            })
            .collect();
        let snapshot = Snapshot { version: VERSION, name: "tiny.oci.tar".into(), format: "OCI image layout".into(), image, scans };
        let bytes = encode(&snapshot).unwrap();
        assert!(bytes.len() < OCI.len() / 4, "{} bytes for a {}-byte archive", bytes.len(), OCI.len());
        let back = decode(&bytes).unwrap();
        let tree = |s: &Snapshot| {
            strata_core::ImageTree::build(s.scans.iter().flatten().map(|x| x.index.clone()).collect())
        };
        let (a, b) = (tree(&snapshot), tree(&back));
        let last = a.n_layers() - 1;
        assert_eq!(a.merged(last), b.merged(last));
        assert_eq!(back.image.id(), snapshot.image.id());
        assert_eq!(back.image.parsed_config, snapshot.image.parsed_config);
        // A damaged index (a path number past the table) is refused before any use.
        let mut bad = snapshot.clone();
        bad.scans[0].as_mut().unwrap().index.entries[0].path = strata_core::PathId(1_000_000);
        let e = decode(&encode(&bad).unwrap()).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("layer 1's index is damaged"), "{e}");
        // One scan too few.
        let mut short = snapshot.clone();
        short.scans.pop();
        let e = decode(&encode(&short).unwrap()).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("layer scans for"), "{e}");
        // The page's way: the body written from the analysis in place, compressed apart (in a
        // worker), is the file the copying way writes, byte for byte.
        let mut image = snapshot.image.clone();
        let analysis = strata_core::analyse(&mut image, snapshot.scans.clone());
        let copied = encode(&Snapshot::of("tiny.oci.tar", "OCI image layout", &image, &analysis)).unwrap();
        let body = strata_core::snapshot::body_of("tiny.oci.tar", "OCI image layout", &image, &analysis).unwrap();
        assert_eq!(strata_core::snapshot::compress(&body).unwrap(), copied);
        // The page's way between frames: a few elements per call, any number of calls, the
        // same bytes (every piece of it cut in the middle, names' bytes included).
        for budget in [1, 3, 1000] {
            let mut writer = strata_core::snapshot::BodyWriter::new("tiny.oci.tar", "OCI image layout", &image, &analysis).unwrap();
            let mut calls = 1;
            while !writer.write(&analysis, budget).unwrap() {
                calls += 1;
            }
            assert_eq!(writer.finish(), body, "{budget} elements a call");
            assert!(budget > 100 || calls > 20, "{calls} calls of {budget} elements");
        }
        // In pieces, as the page hands it on: the same bytes, cut where they reached the size.
        for (budget, size) in [(1, 64), (3, 200), (1000, 1)] {
            let mut writer = strata_core::snapshot::BodyWriter::new("tiny.oci.tar", "OCI image layout", &image, &analysis).unwrap().in_pieces_of(size);
            while !writer.write(&analysis, budget).unwrap() {}
            let pieces = writer.finish_in_pieces();
            assert!(pieces.len() > 3, "{} pieces of {size} bytes", pieces.len());
            assert!(pieces.iter().all(|p| !p.is_empty()));
            assert!(pieces[..pieces.len() - 1].iter().all(|p| p.len() >= size), "a piece cut short");
            assert_eq!(pieces.concat(), body, "{budget} elements a call, pieces of {size} bytes");
        }
        // Given another analysis than the one it was begun from, it says so (no panic).
        let mut writer = strata_core::snapshot::BodyWriter::new("tiny.oci.tar", "OCI image layout", &image, &analysis).unwrap();
        let one_layer = strata_core::analyse(&mut image.clone(), vec![snapshot.scans[0].clone()]);
        let e = loop {
            match writer.write(&one_layer, 10) {
                Ok(true) => panic!("the whole body written from the wrong analysis"),
                Ok(false) => {}
                Err(e) => break e.to_string(),
            }
        };
        assert!(e.contains("layer 2 is not in the analysis"), "{e}");
    }

    fn digests_left_for_later_are_checked_after_the_tree_like_a_full_scan() {
        // The app's plan for uncompressed layers: index first, hash after.
        let source = MemorySource::new(DOCKER);
        let (_, image) = open(&source);
        let scan = |blob: &[u8]| {
            let mut s = strata_core::LayerScanner::new(None, &Limits::default()).defer_uncompressed_digest();
            for part in blob.chunks(4096) {
                s.push(part);
            }
            s.finish()
        };
        let blobs: Vec<&[u8]> = image
            .layers
            .iter()
            .map(|l| {
                let loc = l.location.unwrap();
                &DOCKER[loc.offset as usize..(loc.offset + loc.len) as usize]
            })
            .collect();
        let deferred = |image: &Image| {
            let mut image = image.clone();
            let scans = blobs.iter().map(|b| Some(scan(b))).collect();
            let analysis = strata_core::analyse(&mut image, scans);
            (image, analysis)
        };
        let (image_a, mut analysis) = deferred(&image);
        assert_eq!(analysis.unverified(), (0..blobs.len()).collect::<Vec<_>>());
        assert!(analysis.diagnostics.is_empty(), "{:?}", analysis.diagnostics);
        for (i, b) in blobs.iter().enumerate() {
            analysis.verified(&image_a, i, strata_core::Digest::sha256_of(b));
        }
        assert!(analysis.unverified().is_empty());
        assert!(analysis.diagnostics.is_empty(), "{:?}", analysis.diagnostics);
        let full = analyse(&source);
        assert_eq!(analysis.scans, full.scans, "the same digests and diff_ids as one full pass");
        // A wrong hash is named like a scan's mismatch, with both digests.
        let (image_b, mut analysis) = deferred(&image);
        analysis.verified(&image_b, 1, strata_core::Digest::sha256_of(b"not the layer"));
        let d: Vec<_> = analysis.diagnostics.iter().filter(|d| d.subject == "layer 2").collect();
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].code.ends_with("-mismatch") && d[0].message.matches("sha256:").count() == 2, "{:?}", d[0]);
    }

    fn lessons_point_at_this_images_own_examples() {
        let source = MemorySource::new(OCI);
        let (_, mut image) = open(&source);
        let analysis = strata_core::scan_image(&mut image, &source, &Limits::default(), &mut |_, _, _| true).unwrap();
        let sizes: Vec<Option<u64>> = image.layers.iter().map(|l| l.uncompressed_size).collect();
        let history = strata_core::history::history(&image, &sizes);
        let origin = strata_core::equivalents::Origin::Archive { file: "my image.tar".into() };
        let lessons = strata_core::lessons::lessons(&image, &history, Some(&analysis), &origin);
        let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["image", "digests", "tags", "history", "copy-on-write", "whiteouts", "deletions", "sharing"]);
        let digests = &lessons[1].paragraphs.join(" ");
        assert!(digests.contains("the same ✓") && digests.contains("as the config says ✓"), "{digests}");
        let whiteout = &lessons[5];
        let text = whiteout.paragraphs.join(" ");
        assert!(text.contains("/dir/b.txt") && text.contains(".wh.b.txt"), "{text}");
        assert_eq!(whiteout.focus.as_ref().and_then(|f| f.path.as_deref()), Some("dir/b.txt"));
        // Without the layers, the walk stops at what the config can tell.
        // Every command to try names the user's own file, never a placeholder.
        for l in &lessons {
            let Some(cmd) = &l.try_it else { continue };
            assert!(!cmd.contains("IMAGE") && !cmd.contains("LAYER"), "{}: {cmd}", l.id);
            // What reads the file names it; docker names the image it loaded.
            if !cmd.starts_with("docker image history") {
                assert!(cmd.contains("my image.tar"), "{}: {cmd}", l.id);
            }
        }
        assert!(whiteout.try_it.as_deref().unwrap().ends_with("| grep .wh."));
        let short = strata_core::lessons::lessons(&image, &history, None, &origin);
        assert_eq!(short.len(), 5);
    }

    fn changes_and_timelines() {
        let analysis = analyse(&MemorySource::new(OCI));
        let tree = &analysis.tree;
        let changes: Vec<(String, strata_core::Change)> =
            tree.changes(1).into_iter().map(|f| (f.path, f.change.unwrap())).collect();
        assert!(changes.contains(&("a.txt".to_owned(), strata_core::Change::Modified)), "{changes:?}");
        assert!(changes.contains(&("dir/b.txt".to_owned(), strata_core::Change::Deleted)), "{changes:?}");
        assert!(changes.contains(&("new.txt".to_owned(), strata_core::Change::Added)), "{changes:?}");
        let a = tree.paths.lookup("a.txt").unwrap();
        let events: Vec<_> = tree.timeline(a).iter().map(|e| (e.layer, e.change)).collect();
        assert_eq!(events, [(0, strata_core::Change::Added), (1, strata_core::Change::Modified)]);
        let waste = tree.waste();
        assert_eq!(waste.wasted_bytes, 6 + 6, "a.txt's and dir/b.txt's first versions (6 bytes each)");
    }
}
