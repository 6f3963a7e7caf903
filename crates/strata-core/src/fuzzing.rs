//! The entry points the libFuzzer targets (`fuzz/fuzz_targets/*`) drive, here so the test that
//! replays the inputs fuzzing found (`tests/fuzz_regressions.rs`) runs exactly the same code.
//! Each takes arbitrary bytes and must return: no panic, no endless loop, bounded memory.

use crate::explorer::{Filter, LayerView, Sort, ViewMode, rows};
use crate::layer::decode::{Decoder, Sink};
use crate::model::{ImageConfig, parse_document, parse_json};
use crate::registry::{
    Credentials, HttpRequest, HttpResponse, Reference, RegistrySession, list_tags, next_link,
    open_image, parse_www_authenticate,
};
use crate::tree::ImageTree;
use crate::{
    Compression, Error, LayerScanner, Limits, ManifestPick, MemorySource, ShortReads, load_image,
    open_archive, scan_image,
};

/// The archive detector and readers, image loading and layer scanning, through short reads.
pub fn archive(data: &[u8]) {
    let limits = Limits {
        max_layer_bytes: 64 << 20,
        max_json_bytes: 1 << 20,
        ..Limits::default()
    };
    let source = ShortReads::random(MemorySource::new(data), data.len() as u64);
    let Ok(archive) = open_archive(&source, &limits, &mut |_| {}) else {
        return;
    };
    for i in 0..archive.images.len().min(4) {
        let mut d = Vec::new();
        let _ = archive.manifest_choices(&source, i, &limits, &mut d);
        if let Ok(mut image) = load_image(&archive, &source, i, &ManifestPick::Default, &limits) {
            let _ = crate::overview(&image);
            if let Ok(analysis) = scan_image(&mut image, &source, &limits, &mut |_, _, _| true) {
                let _ = analysis.tree.waste();
                let _ = crate::hints::file_hints(&analysis.tree);
            }
        }
    }
}

struct Bounded(u64);

impl Sink for Bounded {
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.0 += data.len() as u64;
        if self.0 > 32 << 20 {
            return Err(Error::Invalid {
                what: "fuzz".into(),
                detail: "enough".into(),
            });
        }
        Ok(())
    }
}

/// The push decompressors directly: gzip and zstd streams cut anywhere (the first byte picks
/// the chunk size).
pub fn decode(data: &[u8]) {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    for c in [Compression::Gzip, Compression::Zstd] {
        let mut d = Decoder::new(c);
        let mut sink = Bounded(0);
        let mut ok = true;
        for part in rest.chunks(usize::from(chunk).max(1)) {
            if d.push(part, &mut sink).is_err() {
                ok = false;
                break;
            }
        }
        if ok {
            let _ = d.finish(&mut sink);
        }
    }
}

/// Manifest, index and config parsing.
pub fn json(data: &[u8]) {
    let limits = Limits::default();
    let _ = parse_document("fuzz", data, "", &limits);
    let _ = parse_document(
        "fuzz",
        data,
        "application/vnd.oci.image.index.v1+json",
        &limits,
    );
    let _ = parse_json::<ImageConfig>("fuzz", data, &limits);
    let _ = parse_json::<Vec<crate::archive::DockerSaveEntry>>("fuzz", data, &limits);
}

/// The layer scanner (tar reader, indexer, decompressors), fed in chunks.
pub fn layer(data: &[u8]) {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let limits = Limits {
        max_layer_bytes: 64 << 20,
        max_layer_entries: 100_000,
        ..Limits::default()
    };
    let mut s = LayerScanner::new(None, &limits);
    for part in rest.chunks(usize::from(chunk).max(1)) {
        s.push(part);
    }
    let scan = s.finish();
    let _ = ImageTree::build(vec![scan.index]);
}

/// The whiteout and merged-tree builder over up to six layers (split at 0xa5), every view of
/// it, the waste report and the findings.
pub fn tree(data: &[u8]) {
    let limits = Limits {
        max_layer_entries: 20_000,
        ..Limits::default()
    };
    let layers: Vec<_> = data
        .split(|&b| b == 0xa5)
        .take(6)
        .map(|part| {
            let mut s = LayerScanner::new(Some(Compression::None), &limits);
            s.push(part);
            s.finish().index
        })
        .collect();
    let tree = ImageTree::build(layers);
    for l in 0..tree.n_layers() {
        let _ = tree.merged(l);
        let _ = tree.changes(l);
        for mode in [ViewMode::Merged, ViewMode::Changes] {
            let view = LayerView::new(&tree, l, mode);
            let _ = rows(&tree, &view, &|_| true, &Filter::default(), Sort::Size);
        }
    }
    let _ = tree.waste();
    let _ = crate::hints::file_hints(&tree);
}

/// The package analysis over one layer (the input is its tar): every database reader, the
/// ELF and jar probes, the report and the SBOMs; and each reader straight on the bytes.
pub fn packages(data: &[u8]) {
    use crate::packages::{self, rpm, sbom};
    let limits = Limits {
        max_layer_entries: 20_000,
        max_package_db_bytes: 4 << 20,
        max_package_files: 2_000,
        max_packages: 10_000,
        ..Limits::default()
    };
    let mut s = LayerScanner::new(Some(Compression::None), &limits);
    s.push(data);
    let tree = ImageTree::build(vec![s.finish().index]);
    let source = MemorySource::new(data);
    let blob = crate::image::BlobLocation {
        offset: 0,
        len: data.len() as u64,
    };
    let history = crate::history::History {
        rows: Vec::new(),
        diagnostics: Vec::new(),
    };
    let report = packages::analyse_packages(&tree, &history, &limits, &[], &mut |_, ranges| {
        crate::layer::content::read_ranges(&source, blob, Compression::None, ranges)
    });
    let subject = sbom::SbomSubject::default();
    let _ = sbom::spdx(&report, &subject);
    let _ = sbom::cyclonedx(&report, &subject);
    let _ = packages::compare(&report, &report);
    let text = String::from_utf8_lossy(data);
    let _ = packages::dpkg::parse_status(&text, false, 10_000);
    let _ = packages::apk::parse_installed(&text, 10_000);
    let _ = packages::python::parse_metadata(&text);
    let _ = packages::npm::parse_package_json(data, "x");
    for kind in [rpm::RpmDb::Sqlite, rpm::RpmDb::Bdb, rpm::RpmDb::Ndb] {
        let _ = rpm::read(kind, data, 10_000, 10_000);
    }
    let _ = rpm::header::parse_header(data, 10_000);
}

/// A snapshot file as someone might send one: decompression, decoding, validation.
pub fn snapshot(data: &[u8]) {
    let mut file = crate::snapshot::MAGIC.to_vec();
    file.extend_from_slice(data);
    let _ = crate::snapshot::decompress(&file, 64 << 20);
    // The decompressed form too (what a page receives from its worker).
    if let Ok(s) = crate::snapshot::from_postcard(data) {
        let _ = ImageTree::build(s.scans.into_iter().flatten().map(|x| x.index).collect());
    }
}

/// A byte cursor for the registry target: a hostile registry's answers, from the input.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }

    fn text(&mut self) -> String {
        let n = usize::from(self.byte().unwrap_or(0));
        String::from_utf8_lossy(self.take(n)).into_owned()
    }
}

const STATUSES: &[u16] = &[200, 200, 200, 206, 301, 302, 307, 401, 403, 404, 429, 500];
const HEADERS: &[&str] = &[
    "Content-Type",
    "Docker-Content-Digest",
    "WWW-Authenticate",
    "Location",
    "Link",
    "Content-Range",
];

fn response(c: &mut Cursor<'_>) -> Option<HttpResponse> {
    let status = STATUSES[usize::from(c.byte()?) % STATUSES.len()];
    let mut headers = Vec::new();
    for _ in 0..c.byte()? % 5 {
        let name = HEADERS[usize::from(c.byte()?) % HEADERS.len()];
        headers.push((name.to_owned(), c.text()));
    }
    let len = usize::from(c.byte()?) * 16;
    let body = c.take(len).to_vec();
    Some(HttpResponse {
        status,
        headers,
        body,
    })
}

/// The registry protocol against a hostile registry: reference parsing, challenges, Link
/// headers, and `open_image` / `list_tags` driven by arbitrary answers. The protocol must end
/// on its own: a hundred requests means it would not (a panic, so fuzzing reports it).
pub fn registry(data: &[u8]) {
    let mut c = Cursor(data);
    let flags = c.byte().unwrap_or(0);
    let text = c.text();
    let _ = parse_www_authenticate(&text);
    let _ = next_link(&text);
    let reference = Reference::parse(&text)
        .ok()
        .or_else(|| Reference::parse("127.0.0.1:5000/fuzz/image:tag").ok());
    let Some(reference) = reference else { return };
    let _ = (
        reference.canonical(),
        reference.familiar(),
        reference.target(),
    );
    let credentials = (flags & 2 != 0).then(|| Credentials {
        username: "user".into(),
        password: "pass".into(),
    });
    let base = RegistrySession::default_base(&reference, true);
    let mut session = RegistrySession::new(reference, base, credentials);
    let limits = Limits {
        max_json_bytes: 1 << 16,
        ..Limits::default()
    };
    let mut requests = 0u32;
    let mut send = |_: &HttpRequest| -> Result<HttpResponse, Error> {
        requests += 1;
        assert!(requests < 100, "the protocol keeps asking");
        response(&mut c).ok_or(Error::Network {
            registry: "fuzz".into(),
            detail: "eof".into(),
        })
    };
    if flags & 1 == 0 {
        let _ = open_image(
            &mut session,
            &ManifestPick::Default,
            &limits,
            1_000,
            &mut send,
        );
    } else {
        let _ = list_tags(&mut session, 1_000, &mut send);
    }
}
