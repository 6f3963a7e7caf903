//! Build information inside executables, read from the ELF file by range (no ELF crate: four
//! fields of the file header, the section header table, and two sections are all it takes):
//!
//! - Go (`go version -m`, `debug/buildinfo`): the `.go.buildinfo` section starts with the
//!   16-byte magic `\xff Go buildinf:`, a pointer size and a flags byte. Go ≥ 1.18 (flag 2)
//!   follows the 32-byte header with two varint-length strings, the Go version and the module
//!   info; older binaries put two pointers at offset 16, each to a Go string header (data
//!   pointer, length) elsewhere in the binary, which are mapped from virtual addresses to file
//!   offsets through the section headers. The module info is lines of `path`, `mod`, `dep`,
//!   `=>` (a replacement of the line before) and `build`, tab-separated, wrapped in 16-byte
//!   sentinels.
//! - Rust (`cargo auditable`): the `.dep-v0` section is zlib-compressed JSON,
//!   `{"packages": [{"name", "version", "source", "kind", "dependencies", "root"}]}`.

use super::model::Package;
use super::probe::{FileKind, Found, Probe, Step};

const GO_MAGIC: &[u8] = b"\xff Go buildinf:";
/// Most section headers read (real binaries have 30–60).
const MAX_SECTIONS: u64 = 4096;
/// Largest section-name table read.
const MAX_SHSTRTAB: u64 = 1 << 20;
/// Largest `.dep-v0` decompressed (cargo auditable's own bound is 8 MiB).
const MAX_AUDIT_JSON: u64 = 8 << 20;

#[derive(Debug, Clone, Copy)]
struct Section {
    name: u32,
    ty: u32,
    addr: u64,
    offset: u64,
    size: u64,
}

#[derive(Debug)]
enum State {
    Start,
    Ident,
    Sections,
    Names,
    Info {
        go: Option<Section>,
        dep: Option<Section>,
    },
    GoPointers,
    GoStrings,
    Done,
}

#[derive(Debug)]
pub struct ElfProbe {
    size: u64,
    max_bytes: u64,
    max_packages: usize,
    state: State,
    big_endian: bool,
    wide: bool,
    shoff: u64,
    shnum: u64,
    shentsize: u64,
    shstrndx: u64,
    sections: Vec<Section>,
    go_ptr_size: u64,
    go_big_endian: bool,
    found: Found,
    /// Rust packages found in the same round as a Go pointer-format header (a binary has one
    /// or the other, but both are read when present).
    pending_cargo: Vec<Package>,
}

impl ElfProbe {
    pub fn new(size: u64, max_bytes: u64, max_packages: usize) -> ElfProbe {
        ElfProbe {
            size,
            max_bytes,
            max_packages,
            state: State::Start,
            big_endian: false,
            wide: true,
            shoff: 0,
            shnum: 0,
            shentsize: 0,
            shstrndx: 0,
            sections: Vec::new(),
            go_ptr_size: 8,
            go_big_endian: false,
            found: Found {
                kind: FileKind::Elf,
                ..Found::default()
            },
            pending_cargo: Vec::new(),
        }
    }

    fn uint(&self, b: &[u8], at: usize, width: usize) -> Option<u64> {
        uint(b, at, width, self.big_endian)
    }

    fn done(&mut self) -> Step {
        self.state = State::Done;
        Step::Done(std::mem::take(&mut self.found))
    }

    fn fail(&mut self, why: impl Into<String>) -> Step {
        self.found.problems.push(why.into());
        self.done()
    }

    /// The file offset of virtual address `addr`, through the section that holds it.
    fn file_offset(&self, addr: u64) -> Option<u64> {
        self.sections
            .iter()
            .find(|s| s.ty != 8 && s.addr != 0 && addr >= s.addr && addr - s.addr < s.size)
            .map(|s| s.offset + (addr - s.addr))
    }

    fn parse_go(&mut self, sec: &[u8]) -> Option<Step> {
        if sec.len() < 32 || !sec.starts_with(GO_MAGIC) {
            self.found
                .problems
                .push("`.go.buildinfo` does not start with Go's magic".into());
            return None;
        }
        self.found.kind = FileKind::GoBinary;
        let ptr_size = u64::from(sec[14]);
        let flags = sec[15];
        if flags & 2 != 0 {
            // Inline strings (Go ≥ 1.18).
            let (version, at) = varint_string(sec, 32)?;
            let (info, _) = varint_string(sec, at)?;
            self.go_modules(
                &String::from_utf8_lossy(version),
                &String::from_utf8_lossy(info),
            );
            return None;
        }
        if ptr_size != 4 && ptr_size != 8 {
            self.found
                .problems
                .push(format!("Go build info with a pointer size of {ptr_size}"));
            return None;
        }
        self.go_ptr_size = ptr_size;
        self.go_big_endian = flags & 1 != 0;
        let w = ptr_size as usize;
        let version_ptr = uint(sec, 16, w, self.go_big_endian)?;
        let mod_ptr = uint(sec, 16 + w, w, self.go_big_endian)?;
        let (Some(v), Some(m)) = (self.file_offset(version_ptr), self.file_offset(mod_ptr)) else {
            self.found
                .problems
                .push("Go build info points outside the binary's sections".into());
            return None;
        };
        self.state = State::GoPointers;
        Some(Step::Want(vec![(v, 2 * ptr_size), (m, 2 * ptr_size)]))
    }

    fn go_modules(&mut self, go_version: &str, info: &str) {
        // Go ≥ 1.18 wraps the module info in 16-byte sentinels.
        let info = if info.len() >= 33 && info.as_bytes()[info.len() - 17] == b'\n' {
            info.get(16..info.len() - 16).unwrap_or(info)
        } else {
            info
        };
        let mut out: Vec<Package> = Vec::new();
        let mut main_path = None;
        for line in info.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["path", p, ..] => main_path = Some((*p).to_owned()),
                ["mod", p, v, ..] | ["dep", p, v, ..] => {
                    if out.len() >= self.max_packages {
                        self.found
                            .problems
                            .push(format!("more than {} modules", self.max_packages));
                        break;
                    }
                    out.push(Package {
                        name: (*p).to_owned(),
                        version: (*v).to_owned(),
                        main: f[0] == "mod",
                        summary: (f[0] == "mod").then(|| format!("built with {go_version}")),
                        ..Package::default()
                    });
                }
                // A replacement by another module is that module; by a local directory
                // (`./x`, `../x`, `/x`: version `(devel)`), the required module is kept.
                ["=>", p, v, ..] if !v.is_empty() && !p.starts_with(['.', '/']) => {
                    if let Some(last) = out.last_mut() {
                        last.name = (*p).to_owned();
                        last.version = (*v).to_owned();
                    }
                }
                _ => {}
            }
        }
        if !out.iter().any(|p| p.main)
            && let Some(p) = main_path
        {
            // `go build` of a file, or of a package outside a module: only `path`.
            out.insert(
                0,
                Package {
                    name: p,
                    version: "(devel)".into(),
                    main: true,
                    summary: Some(format!("built with {go_version}")),
                    ..Package::default()
                },
            );
        }
        self.found.packages.extend(out);
    }

    fn parse_cargo(&mut self, compressed: &[u8]) {
        let json = match inflate_zlib(compressed, MAX_AUDIT_JSON) {
            Ok(j) => j,
            Err(e) => {
                self.found
                    .problems
                    .push(format!("`.dep-v0` does not decompress: {e}"));
                return;
            }
        };
        let v: serde_json::Value = match serde_json::from_slice(&json) {
            Ok(v) => v,
            Err(e) => {
                self.found
                    .problems
                    .push(format!("`.dep-v0` is not JSON: {e}"));
                return;
            }
        };
        let Some(list) = v.get("packages").and_then(|p| p.as_array()) else {
            self.found
                .problems
                .push("`.dep-v0` has no `packages`".into());
            return;
        };
        if self.found.kind != FileKind::GoBinary {
            self.found.kind = FileKind::RustBinary;
        }
        for p in list.iter().take(self.max_packages) {
            let s = |k: &str| p.get(k).and_then(|x| x.as_str()).map(str::to_owned);
            let (Some(name), Some(version)) = (s("name"), s("version")) else {
                continue;
            };
            let source = match p.get("source") {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(o) => o.as_object().and_then(|o| o.keys().next().cloned()),
                None => None,
            };
            self.pending_cargo.push(Package {
                name,
                version,
                source,
                main: p.get("root").and_then(serde_json::Value::as_bool) == Some(true),
                summary: s("kind")
                    .filter(|k| k == "build")
                    .map(|_| "a build dependency".to_owned()),
                ..Package::default()
            });
        }
    }
}

impl Probe for ElfProbe {
    fn step(&mut self, answers: Vec<Vec<u8>>) -> Step {
        let first = answers.first().map(Vec::as_slice).unwrap_or(&[]);
        match std::mem::replace(&mut self.state, State::Done) {
            State::Start => {
                self.state = State::Ident;
                Step::Want(vec![(0, 64.min(self.size))])
            }
            State::Ident => {
                let b = first;
                if b.starts_with(b"#!") {
                    return Found::of(FileKind::Script);
                }
                if b.len() < 52 || &b[..4] != b"\x7fELF" {
                    return Found::of(FileKind::Other);
                }
                self.wide = b[4] == 2;
                self.big_endian = b[5] == 2;
                let (shoff, shentsize, shnum, shstrndx) = if self.wide {
                    (
                        self.uint(b, 0x28, 8),
                        self.uint(b, 0x3a, 2),
                        self.uint(b, 0x3c, 2),
                        self.uint(b, 0x3e, 2),
                    )
                } else {
                    (
                        self.uint(b, 0x20, 4),
                        self.uint(b, 0x2e, 2),
                        self.uint(b, 0x30, 2),
                        self.uint(b, 0x32, 2),
                    )
                };
                let (Some(shoff), Some(shentsize), Some(shnum), Some(shstrndx)) =
                    (shoff, shentsize, shnum, shstrndx)
                else {
                    return self.fail("a truncated ELF header");
                };
                let min = if self.wide { 64 } else { 40 };
                if shoff == 0 || shnum == 0 {
                    return self.done(); // no section headers (stripped hard): nothing to read
                }
                if shnum > MAX_SECTIONS || shentsize < min || shstrndx >= shnum {
                    return self.fail(format!("{shnum} section headers of {shentsize} bytes"));
                }
                let len = shnum * shentsize;
                if shoff.checked_add(len).is_none_or(|e| e > self.size) {
                    return self.fail("the section headers are past the end of the file");
                }
                (self.shoff, self.shnum, self.shentsize, self.shstrndx) =
                    (shoff, shnum, shentsize, shstrndx);
                self.state = State::Sections;
                Step::Want(vec![(self.shoff, len)])
            }
            State::Sections => {
                let b = first;
                let n = usize::try_from(self.shnum).unwrap_or(0);
                let es = usize::try_from(self.shentsize).unwrap_or(64);
                for i in 0..n {
                    let at = i * es;
                    let s = if self.wide {
                        (
                            self.uint(b, at, 4),
                            self.uint(b, at + 4, 4),
                            self.uint(b, at + 16, 8),
                            self.uint(b, at + 24, 8),
                            self.uint(b, at + 32, 8),
                        )
                    } else {
                        (
                            self.uint(b, at, 4),
                            self.uint(b, at + 4, 4),
                            self.uint(b, at + 12, 4),
                            self.uint(b, at + 16, 4),
                            self.uint(b, at + 20, 4),
                        )
                    };
                    let (Some(name), Some(ty), Some(addr), Some(offset), Some(size)) = s else {
                        return self.fail("truncated section headers");
                    };
                    self.sections.push(Section {
                        name: name as u32,
                        ty: ty as u32,
                        addr,
                        offset,
                        size,
                    });
                }
                let strtab = self.sections[usize::try_from(self.shstrndx).unwrap_or(0)];
                if strtab
                    .offset
                    .checked_add(strtab.size)
                    .is_none_or(|e| e > self.size)
                    || strtab.size > MAX_SHSTRTAB
                {
                    return self.fail("the section-name table is outside the file");
                }
                self.state = State::Names;
                Step::Want(vec![(strtab.offset, strtab.size)])
            }
            State::Names => {
                let names = first;
                let name_of = |s: &Section| -> &[u8] {
                    let rest = names.get(s.name as usize..).unwrap_or(&[]);
                    &rest[..rest.iter().position(|&c| c == 0).unwrap_or(rest.len())]
                };
                let find = |n: &[u8]| {
                    self.sections
                        .iter()
                        .find(|s| name_of(s) == n && s.ty != 8)
                        .copied()
                };
                let (go, dep) = (find(b".go.buildinfo"), find(b".dep-v0"));
                let mut wants = Vec::new();
                for s in [go, dep].into_iter().flatten() {
                    if s.offset.checked_add(s.size).is_none_or(|e| e > self.size)
                        || s.size > self.max_bytes
                    {
                        return self.fail("a build-info section is outside the file or over `max_package_db_bytes`");
                    }
                    wants.push((s.offset, s.size));
                }
                if wants.is_empty() {
                    return self.done();
                }
                self.state = State::Info { go, dep };
                Step::Want(wants)
            }
            State::Info { go, dep } => {
                let mut it = answers.into_iter();
                let go_bytes = go.and_then(|_| it.next());
                if let Some(d) = dep.and_then(|_| it.next()) {
                    self.parse_cargo(&d);
                }
                if let Some(g) = go_bytes
                    && let Some(next) = self.parse_go(&g)
                {
                    return next;
                }
                let cargo = std::mem::take(&mut self.pending_cargo);
                self.found.packages.extend(cargo);
                self.done()
            }
            State::GoPointers => {
                // Two Go string headers: (data pointer, length).
                let w = usize::try_from(self.go_ptr_size).unwrap_or(8);
                let mut wants = Vec::new();
                for h in &answers {
                    let (Some(ptr), Some(len)) = (
                        uint(h, 0, w, self.go_big_endian),
                        uint(h, w, w, self.go_big_endian),
                    ) else {
                        return self.fail("a truncated Go string header");
                    };
                    let Some(at) = self.file_offset(ptr).filter(|_| len <= self.max_bytes) else {
                        return self.fail("a Go build-info string outside the binary");
                    };
                    wants.push((at, len));
                }
                if wants.len() != 2 {
                    return self.fail("a truncated Go string header");
                }
                self.state = State::GoStrings;
                Step::Want(wants)
            }
            State::GoStrings => {
                let version = String::from_utf8_lossy(first).into_owned();
                let info =
                    String::from_utf8_lossy(answers.get(1).map(Vec::as_slice).unwrap_or(&[]))
                        .into_owned();
                self.go_modules(&version, &info);
                let cargo = std::mem::take(&mut self.pending_cargo);
                self.found.packages.extend(cargo);
                self.done()
            }
            State::Done => self.done(),
        }
    }
}

fn uint(b: &[u8], at: usize, width: usize, big_endian: bool) -> Option<u64> {
    let s = b.get(at..at.checked_add(width)?)?;
    Some(if big_endian {
        s.iter().fold(0u64, |v, &c| (v << 8) | u64::from(c))
    } else {
        s.iter().rev().fold(0u64, |v, &c| (v << 8) | u64::from(c))
    })
}

/// A Go `binary.Uvarint` length, then that many bytes.
fn varint_string(b: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let (mut len, mut shift, mut i) = (0u64, 0u32, at);
    loop {
        let c = *b.get(i)?;
        i += 1;
        len |= u64::from(c & 0x7f) << shift;
        if c & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let len = usize::try_from(len).ok()?;
    Some((b.get(i..i.checked_add(len)?)?, i + len))
}

/// Inflates a zlib stream, at most `max` bytes out.
pub(crate) fn inflate_zlib(data: &[u8], max: u64) -> Result<Vec<u8>, String> {
    inflate(data, max, true)
}

/// Inflates a zlib (`zlib`) or raw deflate stream, at most `max` bytes out.
pub(crate) fn inflate(data: &[u8], max: u64, zlib: bool) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    let reader: Box<dyn Read> = if zlib {
        Box::new(flate2::read::ZlibDecoder::new(data))
    } else {
        Box::new(flate2::read::DeflateDecoder::new(data))
    };
    reader
        .take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    if out.len() as u64 > max {
        return Err(format!("it inflates to more than {max} bytes"));
    }
    Ok(out)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Drives a probe over a file in memory.
    pub fn run(probe: &mut dyn Probe, file: &[u8]) -> Found {
        let mut answers = Vec::new();
        for _ in 0..16 {
            match probe.step(std::mem::take(&mut answers)) {
                Step::Done(f) => return f,
                Step::Want(ranges) => {
                    for (o, l) in ranges {
                        let (o, l) = (o as usize, l as usize);
                        answers.push(
                            file.get(o.min(file.len())..(o + l).min(file.len()))
                                .unwrap_or(&[])
                                .to_vec(),
                        );
                    }
                }
            }
        }
        panic!("the probe did not finish");
    }

    /// A 64-bit little-endian ELF file with the given sections (name, address, contents),
    /// laid out as the ELF spec says: header, section contents, names, section headers.
    pub fn build_elf(sections: &[(&str, u64, Vec<u8>)]) -> Vec<u8> {
        let mut f = vec![0u8; 64];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 1;
        let mut names = vec![0u8];
        let mut headers = vec![[0u8; 64]]; // the null section
        for (name, addr, data) in sections {
            let off = f.len() as u64;
            f.extend_from_slice(data);
            let mut h = [0u8; 64];
            h[..4].copy_from_slice(&(names.len() as u32).to_le_bytes());
            h[4..8].copy_from_slice(&1u32.to_le_bytes()); // PROGBITS
            h[16..24].copy_from_slice(&addr.to_le_bytes());
            h[24..32].copy_from_slice(&off.to_le_bytes());
            h[32..40].copy_from_slice(&(data.len() as u64).to_le_bytes());
            headers.push(h);
            names.extend_from_slice(name.as_bytes());
            names.push(0);
        }
        let names_off = f.len() as u64;
        let mut h = [0u8; 64];
        h[..4].copy_from_slice(&(names.len() as u32).to_le_bytes());
        names.extend_from_slice(b".shstrtab\0");
        h[4..8].copy_from_slice(&3u32.to_le_bytes());
        h[24..32].copy_from_slice(&names_off.to_le_bytes());
        h[32..40].copy_from_slice(&(names.len() as u64).to_le_bytes());
        f.extend_from_slice(&names);
        headers.push(h);
        let shoff = f.len() as u64;
        for h in &headers {
            f.extend_from_slice(h);
        }
        f[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        f[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        f[0x3c..0x3e].copy_from_slice(&(headers.len() as u16).to_le_bytes());
        f[0x3e..0x40].copy_from_slice(&(headers.len() as u16 - 1).to_le_bytes());
        f
    }

    const MODINFO: &str = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.0\th1:x\ndep\texample.com/old\tv1.0.0\th1:y\n=>\texample.com/new\tv1.1.0\th1:z\nbuild\t-compiler=gc\n";

    fn sentinel(s: &str) -> Vec<u8> {
        let mut v = vec![0x30u8; 16];
        v.extend_from_slice(s.as_bytes());
        v.extend_from_slice(&[0x31u8; 16]);
        v
    }

    fn inline_buildinfo(version: &str, info: &[u8]) -> Vec<u8> {
        let mut sec = GO_MAGIC.to_vec();
        sec.extend_from_slice(&[8, 2]);
        sec.resize(32, 0);
        sec.push(version.len() as u8);
        sec.extend_from_slice(version.as_bytes());
        let mut n = info.len();
        while n >= 0x80 {
            sec.push((n as u8) | 0x80);
            n >>= 7;
        }
        sec.push(n as u8);
        sec.extend_from_slice(info);
        sec
    }

    #[track_caller]
    fn check(file: &[u8], kind: FileKind, expect: &[(&str, &str, bool)]) {
        let found = run(&mut ElfProbe::new(file.len() as u64, 1 << 20, 1000), file);
        assert_eq!(found.kind, kind, "{:?}", found.problems);
        let got: Vec<(&str, &str, bool)> = found
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.main))
            .collect();
        assert_eq!(got, expect, "{:?}", found.problems);
    }

    const APP: [(&str, &str, bool); 3] = [
        ("example.com/app", "(devel)", true),
        ("golang.org/x/text", "v0.3.0", false),
        ("example.com/new", "v1.1.0", false),
    ];

    #[test]
    fn go_inline() {
        let elf = build_elf(&[
            (".text", 0x1000, vec![0x90; 100]),
            (
                ".go.buildinfo",
                0x2000,
                inline_buildinfo("go1.22.1", &sentinel(MODINFO)),
            ),
        ]);
        check(&elf, FileKind::GoBinary, &APP);
    }

    #[test]
    fn go_pointers() {
        // Go < 1.18: pointers at offset 16 to string headers in .rodata, which point at the bytes.
        let version = b"go1.16.15";
        let info = sentinel(MODINFO);
        let base = 0x40_0000u64;
        let mut rodata = Vec::new();
        let hdr_v = rodata.len() as u64;
        rodata.extend_from_slice(&[0; 32]);
        let data_v = rodata.len() as u64;
        rodata.extend_from_slice(version);
        let data_m = rodata.len() as u64;
        rodata.extend_from_slice(&info);
        rodata[0..8].copy_from_slice(&(base + data_v).to_le_bytes());
        rodata[8..16].copy_from_slice(&(version.len() as u64).to_le_bytes());
        rodata[16..24].copy_from_slice(&(base + data_m).to_le_bytes());
        rodata[24..32].copy_from_slice(&(info.len() as u64).to_le_bytes());
        let mut sec = GO_MAGIC.to_vec();
        sec.extend_from_slice(&[8, 0]);
        sec.extend_from_slice(&(base + hdr_v).to_le_bytes());
        sec.extend_from_slice(&(base + hdr_v + 16).to_le_bytes());
        let elf = build_elf(&[(".rodata", base, rodata), (".go.buildinfo", 0x50_0000, sec)]);
        check(&elf, FileKind::GoBinary, &APP);
    }

    #[test]
    fn cargo_auditable() {
        let json = br#"{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true,"dependencies":[1]},{"name":"itoa","version":"1.0.11","source":"crates.io"},{"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"}]}"#;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, json).unwrap();
        let elf = build_elf(&[(".dep-v0", 0, z.finish().unwrap())]);
        check(
            &elf,
            FileKind::RustBinary,
            &[
                ("app", "0.1.0", true),
                ("itoa", "1.0.11", false),
                ("cc", "1.0.0", false),
            ],
        );
    }

    #[test]
    fn other_files() {
        check(b"#!/bin/sh\necho hi\n", FileKind::Script, &[]);
        check(b"just text", FileKind::Other, &[]);
        check(
            &build_elf(&[(".text", 0x1000, vec![1; 10])]),
            FileKind::Elf,
            &[],
        );
        // Damage: section headers past the end, a bad magic in .go.buildinfo, broken zlib.
        let mut elf = build_elf(&[(".text", 0x1000, vec![1; 10])]);
        elf.truncate(elf.len() - 10);
        let f = run(&mut ElfProbe::new(elf.len() as u64, 1 << 20, 10), &elf);
        assert_eq!(f.problems.len(), 1);
        let elf = build_elf(&[
            (".go.buildinfo", 0x1000, vec![0; 64]),
            (".dep-v0", 0, vec![1, 2, 3]),
        ]);
        let f = run(&mut ElfProbe::new(elf.len() as u64, 1 << 20, 10), &elf);
        assert_eq!(f.problems.len(), 2, "{:?}", f.problems);
    }
}
