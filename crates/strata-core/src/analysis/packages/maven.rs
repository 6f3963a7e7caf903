//! Java: Maven's `META-INF/maven/GROUP/ARTIFACT/pom.properties` (`groupId`, `artifactId`,
//! `version`, Java properties syntax) inside jars, wars and ears, read from the zip by range
//! (APPNOTE.TXT): the end-of-central-directory record in the last 64 KiB (and the ZIP64 record
//! it points to when its fields are saturated), then the central directory, then each
//! `pom.properties` entry's local header and data, stored or deflated. A shaded jar carries
//! one `pom.properties` per artefact it bundles; jars nested inside a jar (Spring Boot's
//! `BOOT-INF/lib`) are not opened.

use super::elf::inflate;
use super::model::Package;
use super::probe::{FileKind, Found, Probe, Step};

const EOCD: u32 = 0x0605_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_EOCD: u32 = 0x0606_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;
/// The end record (22 bytes) and the longest comment.
const TAIL: u64 = 22 + 0xffff;
/// Slack read after a local header's name for its extra field (usually under 100 bytes).
const EXTRA_SLACK: u64 = 1024;
/// Largest `pom.properties` read (real ones are ~200 bytes).
const MAX_PROPERTIES: u64 = 1 << 20;

pub fn is_archive(path: &str) -> bool {
    let lower = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    [".jar", ".war", ".ear"].iter().any(|e| lower.ends_with(e))
}

#[derive(Debug)]
struct Member {
    method: u16,
    compressed: u64,
    local: u64,
    name_len: u64,
}

#[derive(Debug)]
enum State {
    Start,
    Tail { from: u64 },
    Zip64,
    Directory,
    Members(Vec<Member>),
    Done,
}

#[derive(Debug)]
pub struct JarProbe {
    size: u64,
    max_bytes: u64,
    max_packages: usize,
    state: State,
    found: Found,
}

fn le(b: &[u8], at: usize, width: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(width)?)?;
    Some(s.iter().rev().fold(0u64, |v, &c| (v << 8) | u64::from(c)))
}

impl JarProbe {
    pub fn new(size: u64, max_bytes: u64, max_packages: usize) -> JarProbe {
        JarProbe {
            size,
            max_bytes,
            max_packages,
            state: State::Start,
            found: Found {
                kind: FileKind::Jar,
                ..Found::default()
            },
        }
    }

    fn done(&mut self) -> Step {
        self.state = State::Done;
        Step::Done(std::mem::take(&mut self.found))
    }

    fn fail(&mut self, why: impl Into<String>) -> Step {
        self.found.problems.push(why.into());
        self.done()
    }

    fn directory(&mut self, offset: u64, size: u64) -> Step {
        if offset.checked_add(size).is_none_or(|e| e > self.size) {
            return self.fail("the central directory is outside the file");
        }
        if size > self.max_bytes {
            return self.fail(format!(
                "a central directory of {size} bytes, over `max_package_db_bytes`"
            ));
        }
        self.state = State::Directory;
        Step::Want(vec![(offset, size)])
    }
}

impl Probe for JarProbe {
    fn step(&mut self, answers: Vec<Vec<u8>>) -> Step {
        let first = answers.first().map(Vec::as_slice).unwrap_or(&[]);
        match std::mem::replace(&mut self.state, State::Done) {
            State::Start => {
                let from = self.size.saturating_sub(TAIL);
                self.state = State::Tail { from };
                Step::Want(vec![(from, self.size - from)])
            }
            State::Tail { from } => {
                let b = first;
                let Some(at) = (0..b.len().saturating_sub(21))
                    .rev()
                    .find(|&i| le(b, i, 4) == Some(u64::from(EOCD)))
                else {
                    return self.fail("no end-of-central-directory record: not a zip file");
                };
                let (size, offset) = (
                    le(b, at + 12, 4).unwrap_or(0),
                    le(b, at + 16, 4).unwrap_or(0),
                );
                if (size == 0xffff_ffff || offset == 0xffff_ffff)
                    && at >= 20
                    && le(b, at - 20, 4) == Some(u64::from(ZIP64_LOCATOR))
                {
                    let z = le(b, at - 12, 8).unwrap_or(u64::MAX);
                    if z.checked_add(56).is_none_or(|e| e > self.size) {
                        return self.fail("the ZIP64 end record is outside the file");
                    }
                    self.state = State::Zip64;
                    return Step::Want(vec![(z, 56)]);
                }
                // A self-extracting prefix would shift every offset; jars have none.
                let _ = from;
                self.directory(offset, size)
            }
            State::Zip64 => {
                let b = first;
                if le(b, 0, 4) != Some(u64::from(ZIP64_EOCD)) {
                    return self.fail("a ZIP64 locator that points at no ZIP64 end record");
                }
                let (size, offset) = (le(b, 40, 8).unwrap_or(0), le(b, 48, 8).unwrap_or(0));
                self.directory(offset, size)
            }
            State::Directory => {
                let d = first;
                let mut at = 0usize;
                let mut members = Vec::new();
                let mut wants = Vec::new();
                while le(d, at, 4) == Some(u64::from(CENTRAL)) {
                    let (
                        Some(method),
                        Some(csize),
                        Some(nlen),
                        Some(xlen),
                        Some(clen),
                        Some(local),
                    ) = (
                        le(d, at + 10, 2),
                        le(d, at + 20, 4),
                        le(d, at + 28, 2),
                        le(d, at + 30, 2),
                        le(d, at + 32, 2),
                        le(d, at + 42, 4),
                    )
                    else {
                        return self.fail("a truncated central directory entry");
                    };
                    let name_at = at + 46;
                    let Some(name) = d.get(name_at..name_at + nlen as usize) else {
                        return self.fail("a truncated central directory entry");
                    };
                    let parts: Vec<&[u8]> = name.split(|&c| c == b'/').collect();
                    if parts.len() == 5
                        && parts[0] == b"META-INF"
                        && parts[1] == b"maven"
                        && parts[4] == b"pom.properties"
                    {
                        if csize > MAX_PROPERTIES || csize == 0xffff_ffff {
                            self.found.problems.push(
                                "a pom.properties over 1 MiB (or in ZIP64) is skipped".into(),
                            );
                        } else if members.len() < self.max_packages {
                            let len = 30 + nlen + EXTRA_SLACK + csize;
                            wants.push((local, len.min(self.size.saturating_sub(local))));
                            members.push(Member {
                                method: method as u16,
                                compressed: csize,
                                local,
                                name_len: nlen,
                            });
                        }
                    }
                    at = name_at + (nlen + xlen + clen) as usize;
                }
                if wants.is_empty() {
                    return self.done();
                }
                self.state = State::Members(members);
                Step::Want(wants)
            }
            State::Members(members) => {
                for (m, b) in members.iter().zip(&answers) {
                    if le(b, 0, 4) != Some(u64::from(LOCAL)) {
                        self.found
                            .problems
                            .push(format!("no local header at offset {}", m.local));
                        continue;
                    }
                    let xlen = le(b, 28, 2).unwrap_or(0);
                    let start = (30 + m.name_len + xlen) as usize;
                    let Some(data) = b.get(start..start + m.compressed as usize) else {
                        self.found.problems.push(format!(
                            "the entry at offset {} has a long extra field or is truncated",
                            m.local
                        ));
                        continue;
                    };
                    let text = match m.method {
                        0 => data.to_vec(),
                        8 => match inflate(data, MAX_PROPERTIES, false) {
                            Ok(t) => t,
                            Err(e) => {
                                self.found
                                    .problems
                                    .push(format!("pom.properties does not inflate: {e}"));
                                continue;
                            }
                        },
                        other => {
                            self.found
                                .problems
                                .push(format!("pom.properties compressed with method {other}"));
                            continue;
                        }
                    };
                    if let Some(p) = parse_pom_properties(&String::from_utf8_lossy(&text)) {
                        self.found.packages.push(p);
                    }
                }
                self.done()
            }
            State::Done => self.done(),
        }
    }
}

/// `groupId`, `artifactId` and `version` of a `pom.properties`.
pub fn parse_pom_properties(text: &str) -> Option<Package> {
    let (mut group, mut artifact, mut version) = (None, None, None);
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some(sep) = line.find(['=', ':']) else {
            continue;
        };
        let (k, v) = (line[..sep].trim(), line[sep + 1..].trim().to_owned());
        match k {
            "groupId" => group = Some(v),
            "artifactId" => artifact = Some(v),
            "version" => version = Some(v),
            _ => {}
        }
    }
    Some(Package {
        name: artifact.filter(|a| !a.is_empty())?,
        namespace: group.filter(|g| !g.is_empty()),
        version: version.unwrap_or_default(),
        ..Package::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::packages::elf::tests::run;

    /// A zip as APPNOTE.TXT lays it out: local headers and data, central directory, end record.
    fn build_zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data, deflate) in entries {
            let stored = if *deflate {
                let mut z =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                std::io::Write::write_all(&mut z, data).unwrap();
                z.finish().unwrap()
            } else {
                data.to_vec()
            };
            let method: u16 = if *deflate { 8 } else { 0 };
            let local = out.len() as u32;
            out.extend_from_slice(&LOCAL.to_le_bytes());
            out.extend_from_slice(&[20, 0, 0, 0]);
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 8]); // time, date, crc (not checked)
            out.extend_from_slice(&(stored.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&4u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&[0xfe, 0xca, 0, 0]); // the jar tool's extra field
            out.extend_from_slice(&stored);
            central.extend_from_slice(&CENTRAL.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0]);
            central.extend_from_slice(&method.to_le_bytes());
            central.extend_from_slice(&[0; 8]);
            central.extend_from_slice(&(stored.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
            central.extend_from_slice(&local.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&3u16.to_le_bytes());
        out.extend_from_slice(b"hi!");
        out
    }

    #[track_caller]
    fn check(zip: &[u8], expect: &[(Option<&str>, &str, &str)], problems: usize) {
        let f = run(&mut JarProbe::new(zip.len() as u64, 1 << 20, 100), zip);
        let got: Vec<(Option<&str>, &str, &str)> = f
            .packages
            .iter()
            .map(|p| (p.namespace.as_deref(), p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, expect);
        assert_eq!(f.problems.len(), problems, "{:?}", f.problems);
    }

    #[test]
    fn jars() {
        let props = b"#Generated by Maven\ngroupId=org.example\nartifactId=demo\nversion=1.2.3\n";
        check(
            &build_zip(&[
                ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n", true),
                (
                    "META-INF/maven/org.example/demo/pom.properties",
                    props,
                    true,
                ),
            ]),
            &[(Some("org.example"), "demo", "1.2.3")],
            0,
        );
        check(
            &build_zip(&[
                (
                    "META-INF/maven/a/b/pom.properties",
                    b"groupId=a\nartifactId=b\nversion=2",
                    false,
                ),
                (
                    "META-INF/maven/c/d/pom.properties",
                    b"groupId: c\nartifactId: d\nversion: 3",
                    true,
                ),
            ]),
            &[(Some("a"), "b", "2"), (Some("c"), "d", "3")],
            0,
        );
        check(&build_zip(&[("a.class", b"\xca\xfe", false)]), &[], 0);
        check(b"not a zip at all", &[], 1);
        let mut z = build_zip(&[("META-INF/maven/a/b/pom.properties", b"artifactId=b", false)]);
        z[0] = 0; // the local header's signature
        check(&z, &[], 1);
    }
}
