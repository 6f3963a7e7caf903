//! What a file's bytes look like to a person: text (with its encoding), an image type the
//! browser can show as an inert `<img>`, an ELF binary's header, or a hex dump. The content
//! viewer renders these; it never interprets the bytes itself.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContentKind {
    /// UTF-8 text (`valid: false` when some bytes are not UTF-8 and are shown replaced).
    Text {
        valid: bool,
    },
    /// An image the browser can show: PNG, JPEG, GIF, WebP, or SVG (as an `<img>`, inert).
    Image {
        mime: String,
    },
    Elf,
    Binary,
}

/// Decides from the first bytes (and the name, for SVG).
pub fn classify(head: &[u8], name: &str) -> ContentKind {
    match head {
        [0x89, b'P', b'N', b'G', ..] => {
            return ContentKind::Image {
                mime: "image/png".into(),
            };
        }
        [0xff, 0xd8, 0xff, ..] => {
            return ContentKind::Image {
                mime: "image/jpeg".into(),
            };
        }
        [b'G', b'I', b'F', b'8', ..] => {
            return ContentKind::Image {
                mime: "image/gif".into(),
            };
        }
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => {
            return ContentKind::Image {
                mime: "image/webp".into(),
            };
        }
        [0x7f, b'E', b'L', b'F', ..] => return ContentKind::Elf,
        _ => {}
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".svg") && head.windows(4).any(|w| w == b"<svg") {
        return ContentKind::Image {
            mime: "image/svg+xml".into(),
        };
    }
    // Text: no NULs, and few control characters other than whitespace.
    let sample = &head[..head.len().min(8192)];
    if sample.contains(&0) {
        return ContentKind::Binary;
    }
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b))
        .count();
    if controls * 100 > sample.len().max(1) {
        return ContentKind::Binary;
    }
    // A page may cut a UTF-8 sequence at its end: that alone does not make it invalid.
    let valid = match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    ContentKind::Text { valid }
}

/// Lines of text (a final newline ends the last line, it does not start another); invalid
/// UTF-8 shown as U+FFFD.
pub fn text_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_suffix('\n').unwrap_or(&text);
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
        .collect()
}

/// `hexdump -C`: offset, 16 bytes in hex, the printable ones.
pub fn hexdump(bytes: &[u8], base: u64) -> Vec<String> {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(i, row)| {
            let mut hex = String::with_capacity(49);
            for (j, b) in row.iter().enumerate() {
                if j == 8 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{b:02x} "));
            }
            let ascii: String = row
                .iter()
                .map(|&b| {
                    if (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("{:08x}  {hex:<49} |{ascii}|", base + (i * 16) as u64)
        })
        .collect()
}

/// An ELF header's summary, as `file` would say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElfInfo {
    /// `64-bit` or `32-bit`.
    pub class: String,
    pub endian: String,
    /// `executable`, `shared object` (or PIE), `relocatable`, `core`.
    pub kind: String,
    pub machine: String,
    /// The program interpreter (`/lib64/ld-linux-x86-64.so.2`); none for static binaries.
    pub interpreter: Option<String>,
    pub statically_linked: bool,
}

pub fn elf_info(b: &[u8]) -> Option<ElfInfo> {
    if b.len() < 52 || &b[..4] != b"\x7fELF" {
        return None;
    }
    let is64 = b[4] == 2;
    let le = b[5] == 1;
    let u16_at = |o: usize| -> Option<u64> {
        let s = b.get(o..o + 2)?;
        Some(u64::from(if le {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        }))
    };
    let u32_at = |o: usize| -> Option<u64> {
        let s: [u8; 4] = b.get(o..o + 4)?.try_into().ok()?;
        Some(u64::from(if le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        }))
    };
    let u64_at = |o: usize| -> Option<u64> {
        let s: [u8; 8] = b.get(o..o + 8)?.try_into().ok()?;
        Some(if le {
            u64::from_le_bytes(s)
        } else {
            u64::from_be_bytes(s)
        })
    };
    let kind = match u16_at(16)? {
        1 => "relocatable",
        2 => "executable",
        3 => "shared object",
        4 => "core",
        _ => "unknown type",
    };
    let machine = match u16_at(18)? {
        3 => "Intel 80386",
        8 => "MIPS",
        20 => "PowerPC",
        21 => "64-bit PowerPC",
        22 => "IBM S/390",
        40 => "ARM",
        62 => "x86-64",
        183 => "AArch64 (ARM64)",
        243 => "RISC-V",
        258 => "LoongArch",
        m => {
            return Some(ElfInfo {
                class: bits(is64),
                endian: endian(le),
                kind: kind.into(),
                machine: format!("machine {m}"),
                interpreter: None,
                statically_linked: false,
            });
        }
    };
    // Program headers: look for PT_INTERP (3) and PT_DYNAMIC (2).
    let (phoff, phentsize, phnum) = if is64 {
        (u64_at(32)?, u16_at(54)?, u16_at(56)?)
    } else {
        (u32_at(28)?, u16_at(42)?, u16_at(44)?)
    };
    let mut interpreter = None;
    let mut dynamic = false;
    for i in 0..phnum.min(256) {
        let at = usize::try_from(phoff + i * phentsize).ok()?;
        let Some(p_type) = u32_at(at) else { break };
        match p_type {
            2 => dynamic = true,
            3 => {
                let (off, size) = if is64 {
                    (u64_at(at + 8), u64_at(at + 32))
                } else {
                    (u32_at(at + 4), u32_at(at + 16))
                };
                if let (Some(off), Some(size)) = (off, size) {
                    let (o, s) = (
                        usize::try_from(off).ok()?,
                        usize::try_from(size.min(4096)).ok()?,
                    );
                    if let Some(raw) = b.get(o..o + s) {
                        let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
                        interpreter = Some(String::from_utf8_lossy(&raw[..end]).into_owned());
                    }
                }
            }
            _ => {}
        }
    }
    Some(ElfInfo {
        class: bits(is64),
        endian: endian(le),
        kind: if kind == "shared object" && interpreter.is_some() {
            "position-independent executable".into()
        } else {
            kind.into()
        },
        machine: machine.into(),
        statically_linked: interpreter.is_none() && !dynamic && kind == "executable",
        interpreter,
    })
}

fn bits(is64: bool) -> String {
    if is64 {
        "64-bit".into()
    } else {
        "32-bit".into()
    }
}

fn endian(le: bool) -> String {
    if le {
        "little-endian".into()
    } else {
        "big-endian".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_continue_across_pages_even_when_a_page_cuts_a_line() {
        let file = b"one\ntwo\nthree is long\nfour\n";
        let (a, b) = file.split_at(12); // "one\ntwo\nthre" | "e is long\nfour\n"
        let first = preview(a, "f.txt", 0, 1);
        assert_eq!(first.lines, ["one", "two", "thre"]);
        let second = preview(b, "f.txt", 12, first.next_first_line);
        // The cut line keeps its number: "e is long" is the rest of line 3.
        assert_eq!(second.first_line, 3);
        assert_eq!(second.lines, ["e is long", "four"]);
        assert_eq!(second.next_first_line, 5);
    }

    #[test]
    fn syntax_hints_come_from_the_name_or_the_first_line() {
        assert_eq!(
            syntax_of("usr/local/bin/run", b"#!/bin/sh\necho"),
            Some(Syntax::Shell)
        );
        assert_eq!(
            syntax_of("app/x", b"#!/usr/bin/env python3\n"),
            Some(Syntax::Python)
        );
        assert_eq!(
            syntax_of("etc/passwd", b"root:x:0:0"),
            Some(Syntax::ColonRecords)
        );
        assert_eq!(
            syntax_of("app/Dockerfile", b"FROM x"),
            Some(Syntax::Dockerfile)
        );
        assert_eq!(syntax_of("a/b.YML", b""), Some(Syntax::Yaml));
        assert_eq!(
            syntax_of("k", b"-----BEGIN CERTIFICATE-----"),
            Some(Syntax::Pem)
        );
        assert_eq!(syntax_of("notes", b"hello"), None);
        assert!(Syntax::Shell.is_comment("  # a comment"));
        assert!(!Syntax::Shell.is_comment("#!/bin/sh"));
        assert!(!Syntax::Json.is_comment("# not JSON's"));
    }

    #[test]
    fn classifies() {
        assert_eq!(
            classify(b"hello\nworld\n", "a.txt"),
            ContentKind::Text { valid: true }
        );
        assert_eq!(
            classify("café".as_bytes(), "a"),
            ContentKind::Text { valid: true }
        );
        assert_eq!(
            classify(b"caf\xe9 au lait", "a"),
            ContentKind::Text { valid: false }
        );
        assert_eq!(
            classify(b"\x89PNG\r\n\x1a\n....", "x"),
            ContentKind::Image {
                mime: "image/png".into()
            }
        );
        assert_eq!(
            classify(b"<?xml?><svg onload=alert(1)>", "logo.svg"),
            ContentKind::Image {
                mime: "image/svg+xml".into()
            }
        );
        assert_eq!(classify(b"a\0b", "x"), ContentKind::Binary);
        // A multi-byte character cut by the end of a page is still valid text.
        assert_eq!(
            classify(&"aé".as_bytes()[..2], "x"),
            ContentKind::Text { valid: true }
        );
    }

    #[test]
    fn hexdump_like_hexdump_c() {
        let lines = hexdump(b"\x7fELF\x02\x01\x01\x00abcdefgh12", 0x10);
        assert_eq!(
            lines[0],
            "00000010  7f 45 4c 46 02 01 01 00  61 62 63 64 65 66 67 68  |.ELF....abcdefgh|"
        );
        assert_eq!(
            lines[1],
            "00000020  31 32                                             |12|"
        );
    }

    #[test]
    fn elf_headers() {
        // A minimal 64-bit little-endian x86-64 executable header with a PT_INTERP.
        let mut b = vec![0u8; 0x200];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[16] = 3; // ET_DYN
        b[18] = 62;
        b[32] = 64; // phoff
        b[54] = 56; // phentsize
        b[56] = 1; // phnum
        b[64] = 3; // PT_INTERP
        b[64 + 9] = 0x01; // p_offset = 0x100
        b[64 + 32] = 28; // p_filesz
        b[0x100..0x100 + 27].copy_from_slice(b"/lib64/ld-linux-x86-64.so.2");
        let info = elf_info(&b).unwrap();
        assert_eq!(info.machine, "x86-64");
        assert_eq!(info.class, "64-bit");
        assert_eq!(info.kind, "position-independent executable");
        assert_eq!(
            info.interpreter.as_deref(),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
    }
}

/// What kind of text a file is, guessed from its name and first line, so the viewer can say it
/// ("shell script") and dim its comments. A hint, never a judgement: the bytes are shown as
/// they are whatever it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Syntax {
    Shell,
    Python,
    Dockerfile,
    Json,
    Yaml,
    Toml,
    Ini,
    Xml,
    Html,
    Markdown,
    JavaScript,
    Go,
    Rust,
    C,
    Pem,
    SystemdUnit,
    /// `/etc/passwd`, `/etc/group` and their like: colon-separated records.
    ColonRecords,
}

impl Syntax {
    pub fn name(self) -> &'static str {
        match self {
            Syntax::Shell => "shell script",
            Syntax::Python => "Python",
            Syntax::Dockerfile => "Dockerfile",
            Syntax::Json => "JSON",
            Syntax::Yaml => "YAML",
            Syntax::Toml => "TOML",
            Syntax::Ini => "INI-style configuration",
            Syntax::Xml => "XML",
            Syntax::Html => "HTML (shown as text, never rendered)",
            Syntax::Markdown => "Markdown",
            Syntax::JavaScript => "JavaScript",
            Syntax::Go => "Go source",
            Syntax::Rust => "Rust source",
            Syntax::C => "C source",
            Syntax::Pem => "PEM (a certificate or a key)",
            Syntax::SystemdUnit => "systemd unit",
            Syntax::ColonRecords => "colon-separated records (passwd(5) style)",
        }
    }

    /// What starts a comment that runs to the end of the line, where the language has one
    /// that is safe to recognise at the start of a line.
    pub fn line_comment(self) -> Option<&'static str> {
        match self {
            Syntax::Shell
            | Syntax::Python
            | Syntax::Dockerfile
            | Syntax::Yaml
            | Syntax::Toml
            | Syntax::SystemdUnit => Some("#"),
            Syntax::Ini => Some(";"),
            Syntax::JavaScript | Syntax::Go | Syntax::Rust | Syntax::C => Some("//"),
            _ => None,
        }
    }

    /// Whether `line` is a whole-line comment in this syntax (`#!` lines are not: they say
    /// which interpreter runs the file).
    pub fn is_comment(self, line: &str) -> bool {
        let t = line.trim_start();
        self.line_comment().is_some_and(|c| t.starts_with(c)) && !t.starts_with("#!")
    }
}

/// The syntax of a text file, from its name (`path` may be a full path) and its first line.
pub fn syntax_of(path: &str, head: &[u8]) -> Option<Syntax> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let first = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let first = String::from_utf8_lossy(first);
    if let Some(shebang) = first.strip_prefix("#!") {
        let interp = shebang.split_whitespace().collect::<Vec<_>>();
        let prog = match interp.as_slice() {
            [env, prog, ..] if env.ends_with("/env") => *prog,
            [prog, ..] => prog.rsplit('/').next().unwrap_or(prog),
            [] => "",
        };
        return match prog {
            p if p.starts_with("python") => Some(Syntax::Python),
            "node" | "nodejs" => Some(Syntax::JavaScript),
            "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "busybox" => Some(Syntax::Shell),
            _ => None,
        };
    }
    let ext = lower.rsplit_once('.').map(|(_, e)| e);
    let by_ext = match ext {
        Some("sh" | "bash") => Some(Syntax::Shell),
        Some("py") => Some(Syntax::Python),
        Some("json") => Some(Syntax::Json),
        Some("yaml" | "yml") => Some(Syntax::Yaml),
        Some("toml") => Some(Syntax::Toml),
        Some("ini" | "cfg" | "conf" | "cnf") => Some(Syntax::Ini),
        Some("xml" | "pom" | "plist") => Some(Syntax::Xml),
        Some("html" | "htm") => Some(Syntax::Html),
        Some("md" | "markdown") => Some(Syntax::Markdown),
        Some("js" | "mjs" | "cjs") => Some(Syntax::JavaScript),
        Some("go") => Some(Syntax::Go),
        Some("rs") => Some(Syntax::Rust),
        Some("c" | "h" | "cc" | "cpp" | "hpp") => Some(Syntax::C),
        Some("pem" | "crt" | "key" | "csr") => Some(Syntax::Pem),
        Some("service" | "socket" | "timer" | "mount" | "target" | "path") => {
            Some(Syntax::SystemdUnit)
        }
        _ => None,
    };
    if by_ext.is_some() {
        return by_ext;
    }
    match lower.as_str() {
        "dockerfile" | "containerfile" => return Some(Syntax::Dockerfile),
        "passwd" | "group" | "shadow" | "gshadow" => return Some(Syntax::ColonRecords),
        _ if lower.starts_with("dockerfile.") || lower.ends_with(".dockerfile") => {
            return Some(Syntax::Dockerfile);
        }
        _ => {}
    }
    let t = first.trim_start();
    if t.starts_with("-----BEGIN ") {
        Some(Syntax::Pem)
    } else if t.starts_with("<?xml") {
        Some(Syntax::Xml)
    } else if t.to_ascii_lowercase().starts_with("<!doctype html") {
        Some(Syntax::Html)
    } else {
        None
    }
}

/// One page of a file as the viewer shows it, made once when its bytes arrive (not on every
/// render): what it is, its text lines (for text), its hex dump, its ELF header (for ELF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub kind: ContentKind,
    pub lines: Vec<String>,
    /// The number of the page's first line in the whole file (1-based; a page that starts in
    /// the middle of a line carries that line's number).
    pub first_line: usize,
    /// The number the next page's first line has.
    pub next_first_line: usize,
    pub syntax: Option<Syntax>,
    pub hex: Vec<String>,
    pub elf: Option<ElfInfo>,
}

/// The preview of `bytes`, which start at `offset` of the file `name` and, for text, at line
/// `first_line` (1 for the first page; the previous page's `next_first_line` after it).
pub fn preview(bytes: &[u8], name: &str, offset: u64, first_line: usize) -> Preview {
    let kind = classify(bytes, name);
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    Preview {
        lines: match kind {
            ContentKind::Text { .. } => text_lines(bytes),
            _ => Vec::new(),
        },
        first_line: first_line.max(1),
        next_first_line: first_line.max(1) + newlines,
        syntax: match kind {
            // Only the first page has the first line; later pages keep the name's hint.
            ContentKind::Text { .. } => syntax_of(name, if offset == 0 { bytes } else { &[] }),
            _ => None,
        },
        hex: hexdump(bytes, offset),
        elf: (kind == ContentKind::Elf)
            .then(|| elf_info(bytes))
            .flatten(),
        kind,
    }
}
