//! A tar reader that does no I/O: bytes are pushed in, entries come out.
//!
//! The same machine serves two hosts. The outer archive is read by range: the caller asks
//! [`TarReader::needed`] how many bytes to read, and jumps over file bodies with
//! [`TarReader::skip`] without reading them. A layer is pushed through it chunk by chunk as it
//! decompresses, bodies included (they are hashed anyway). Either way each entry is reported
//! once, with the offset of its data in the tar stream so its content can be read later.

use super::header::{
    BLOCK, GnuSparse, PaxRecords, RawHeader, parse_header, parse_sparse_extension,
};
use crate::error::Error;

/// What kind of thing a tar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Char,
    Block,
    Fifo,
    /// A type flag we do not know; kept so nothing is silently dropped.
    Other,
}

impl EntryKind {
    /// The letter `ls -l` and `tar -tv` print first.
    pub fn letter(self) -> char {
        match self {
            EntryKind::File | EntryKind::Other => '-',
            EntryKind::Dir => 'd',
            EntryKind::Symlink => 'l',
            EntryKind::Hardlink => 'h',
            EntryKind::Char => 'c',
            EntryKind::Block => 'b',
            EntryKind::Fifo => 'p',
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Hardlink => "hardlink",
            EntryKind::Char => "char",
            EntryKind::Block => "block",
            EntryKind::Fifo => "fifo",
            EntryKind::Other => "other",
        }
    }
}

/// One entry, with PAX and GNU long-name records applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// The path exactly as stored (not normalised).
    pub path: Vec<u8>,
    pub kind: EntryKind,
    pub typeflag: u8,
    /// Permission bits including setuid/setgid/sticky (`& 0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub uname: Vec<u8>,
    pub gname: Vec<u8>,
    pub mtime: i64,
    /// The file's size as a reader sees it (the real size of a sparse file).
    pub size: u64,
    /// Bytes of data stored in the tar after the header.
    pub stored_size: u64,
    pub link: Option<Vec<u8>>,
    pub devmajor: u32,
    pub devminor: u32,
    pub xattrs: Vec<(String, Vec<u8>)>,
    /// Offset of the entry's first header (PAX or GNU records included) in the tar stream.
    pub header_offset: u64,
    /// Offset of the entry's first data byte in the tar stream.
    pub data_offset: u64,
    /// Sparse files: how the stored data maps onto the file.
    pub sparse: Option<Sparse>,
}

/// Where the stored bytes of a sparse file go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sparse {
    /// Old GNU format and PAX 0.x: the map is known from the headers.
    Map(Vec<(u64, u64)>),
    /// PAX 1.0: the map is a text block at the start of the stored data.
    MapInData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Collecting a 512-byte header in `buf`.
    Header,
    /// Collecting `size` bytes of a PAX or GNU long-name record in `buf`.
    Meta { typeflag: u8, size: u64, at: u64 },
    /// Collecting old-GNU sparse extension blocks in `buf`.
    SparseExt {
        entry: Box<TarEntry>,
        map: Vec<(u64, u64)>,
    },
    /// Passing over a body and its padding: `remaining` bytes, of which the first
    /// `remaining - padding` are the entry's data.
    Body {
        remaining: u64,
        padding: u64,
        entry_end: u64,
        path: Vec<u8>,
    },
    /// After the end-of-archive block: everything else is ignored.
    End,
}

/// How the tar ended, from [`TarReader::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TarEnd {
    /// With an end-of-archive block, as the format asks.
    Marker,
    /// At an entry boundary without the end blocks: umoci writes layers like this, and Go
    /// readers (docker, podman) accept them.
    NoMarker,
    /// Inside the last entry's padding: its data is complete, the zeros that round it up to
    /// 512 bytes and the end blocks are not there. umoci 0.4 writes layers like this; Go
    /// readers (docker, podman, skopeo) read them whole, GNU tar and Python's tarfile refuse.
    /// The entry's name is kept for the note that says so.
    NoPadding { last_entry: String },
}

#[derive(Debug, Clone)]
pub struct TarReader {
    state: State,
    /// Offset in the tar stream of the next byte to be fed.
    offset: u64,
    buf: Vec<u8>,
    pax: PaxRecords,
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    /// Offset of the first header of the entry being assembled (its PAX record, say).
    entry_start: Option<u64>,
    max_meta_bytes: u64,
    n_entries: u64,
}

impl TarReader {
    /// `max_meta_bytes` bounds one PAX or GNU long-name record (limit `max_tar_meta_bytes`).
    pub fn new(max_meta_bytes: u64) -> Self {
        TarReader {
            state: State::Header,
            offset: 0,
            buf: Vec::with_capacity(512),
            pax: PaxRecords::default(),
            long_name: None,
            long_link: None,
            entry_start: None,
            max_meta_bytes,
            n_entries: 0,
        }
    }

    /// Offset in the tar stream of the next byte to feed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn n_entries(&self) -> u64 {
        self.n_entries
    }

    pub fn is_done(&self) -> bool {
        self.state == State::End
    }

    /// Bytes the reader must see next to make progress (a header or a record), 0 when the next
    /// bytes are a body that may be skipped instead, or when it is done.
    pub fn needed(&self) -> u64 {
        match &self.state {
            State::Header | State::SparseExt { .. } => BLOCK - self.buf.len() as u64,
            State::Meta { size, .. } => size.div_ceil(BLOCK) * BLOCK - self.buf.len() as u64,
            State::Body { .. } | State::End => 0,
        }
    }

    /// Bytes of the current entry's data still to come (0 outside a body, and in padding).
    pub fn data_remaining(&self) -> u64 {
        match &self.state {
            State::Body {
                remaining, padding, ..
            } => remaining.saturating_sub(*padding),
            _ => 0,
        }
    }

    /// Body (and padding) bytes that may be skipped with [`TarReader::skip`] instead of fed.
    pub fn skippable(&self) -> u64 {
        match &self.state {
            State::Body { remaining, .. } => *remaining,
            _ => 0,
        }
    }

    /// Passes over `n` body bytes without seeing them (`n <= skippable()`).
    pub fn skip(&mut self, n: u64) {
        if let State::Body { remaining, .. } = &mut self.state {
            let n = n.min(*remaining);
            *remaining -= n;
            self.offset += n;
            if *remaining == 0 {
                self.state = State::Header;
            }
        }
    }

    /// Feeds bytes that follow those fed before. Returns how many were consumed and, when a
    /// header completed, the entry. Call again with the rest until all is consumed.
    pub fn feed(&mut self, data: &[u8]) -> Result<(usize, Option<TarEntry>), Error> {
        match &mut self.state {
            State::End => {
                self.offset += data.len() as u64;
                Ok((data.len(), None))
            }
            State::Body { remaining, .. } => {
                let n = (*remaining).min(data.len() as u64);
                *remaining -= n;
                self.offset += n;
                if *remaining == 0 {
                    self.state = State::Header;
                }
                Ok((n as usize, None))
            }
            State::Header | State::Meta { .. } | State::SparseExt { .. } => {
                let want = self.needed() as usize;
                let n = want.min(data.len());
                self.buf.extend_from_slice(&data[..n]);
                self.offset += n as u64;
                if self.buf.len() < self.needed_total() {
                    return Ok((n, None));
                }
                let entry = self.complete()?;
                Ok((n, entry))
            }
        }
    }

    /// Size `buf` must reach in the current state.
    fn needed_total(&self) -> usize {
        match &self.state {
            State::Meta { size, .. } => (size.div_ceil(BLOCK) * BLOCK) as usize,
            _ => BLOCK as usize,
        }
    }

    /// `buf` holds a whole header, record or extension block: act on it.
    fn complete(&mut self) -> Result<Option<TarEntry>, Error> {
        let state = std::mem::replace(&mut self.state, State::Header);
        let buf = std::mem::take(&mut self.buf);
        match state {
            State::Header => self.complete_header(&buf),
            State::Meta { typeflag, size, at } => {
                let data = &buf[..size as usize];
                match typeflag {
                    b'x' => self.pax.apply(data, at)?,
                    b'L' => self.long_name = Some(super::header::c_bytes(data).to_vec()),
                    b'K' => self.long_link = Some(super::header::c_bytes(data).to_vec()),
                    _ => {} // 'g': global records change nothing we index
                }
                Ok(None)
            }
            State::SparseExt { mut entry, mut map } => {
                let block: &[u8; 512] = buf[..512].try_into().map_err(|_| self.internal())?;
                let (more, extended) = parse_sparse_extension(block);
                map.extend(more);
                if extended {
                    self.state = State::SparseExt { entry, map };
                    return Ok(None);
                }
                entry.data_offset = self.offset;
                entry.sparse = Some(Sparse::Map(map));
                Ok(Some(self.start_body(*entry)))
            }
            State::Body { .. } | State::End => Err(self.internal()),
        }
    }

    fn internal(&self) -> Error {
        Error::CorruptTar {
            offset: self.offset,
            detail: "internal state error in the tar reader".into(),
        }
    }

    fn complete_header(&mut self, block: &[u8]) -> Result<Option<TarEntry>, Error> {
        let at = self.offset - BLOCK;
        if block.iter().all(|&b| b == 0) {
            if self.entry_start.is_some() {
                return Err(Error::CorruptTar {
                    offset: at,
                    detail: "the archive ends right after a PAX or GNU long-name record".into(),
                });
            }
            self.state = State::End;
            return Ok(None);
        }
        let block: &[u8; 512] = block.try_into().map_err(|_| self.internal())?;
        let h = parse_header(block, at)?;
        self.entry_start.get_or_insert(at);
        match h.typeflag {
            b'x' | b'g' | b'L' | b'K' => {
                if h.size > self.max_meta_bytes {
                    return Err(Error::LimitExceeded {
                        limit: "max_tar_meta_bytes",
                        value: self.max_meta_bytes,
                        detail: format!("a tar extended header at offset {at} is {} bytes", h.size),
                    });
                }
                if h.size == 0 {
                    return Ok(None);
                }
                self.state = State::Meta {
                    typeflag: h.typeflag,
                    size: h.size,
                    at,
                };
                Ok(None)
            }
            _ => Ok(self.make_entry(h)),
        }
    }

    fn make_entry(&mut self, h: RawHeader) -> Option<TarEntry> {
        let pax = std::mem::take(&mut self.pax);
        let header_offset = self.entry_start.take().unwrap_or(self.offset - BLOCK);
        let mut path = self.long_name.take().or(pax.path).unwrap_or(h.name);
        let link_raw = self.long_link.take().or(pax.linkpath).unwrap_or(h.linkname);
        let stored_size = pax.size.unwrap_or(h.size);
        let mut kind = match h.typeflag {
            b'0' | 0 | b'7' | b'S' => EntryKind::File,
            b'1' => EntryKind::Hardlink,
            b'2' => EntryKind::Symlink,
            b'3' => EntryKind::Char,
            b'4' => EntryKind::Block,
            b'5' | b'D' => EntryKind::Dir,
            b'6' => EntryKind::Fifo,
            _ => EntryKind::Other,
        };
        if kind == EntryKind::File && path.ends_with(b"/") {
            kind = EntryKind::Dir; // old tars mark directories by a trailing slash only
        }
        let mut sparse = None;
        let mut size = stored_size;
        if let Some(major) = pax.sparse_major {
            // PAX 1.0 sparse: the real name and size are in the records, the map in the data.
            if major == 1 {
                sparse = Some(Sparse::MapInData);
            }
        } else if let Some(map) = pax.sparse_map {
            sparse = Some(Sparse::Map(map));
        }
        if pax.sparse_real_size.is_some() || pax.sparse_name.is_some() {
            if let Some(name) = pax.sparse_name {
                path = name;
            }
            size = pax.sparse_real_size.unwrap_or(size);
        }
        let link = matches!(kind, EntryKind::Symlink | EntryKind::Hardlink).then_some(link_raw);
        let mut entry = TarEntry {
            path,
            kind,
            typeflag: h.typeflag,
            mode: h.mode,
            uid: pax.uid.unwrap_or(h.uid),
            gid: pax.gid.unwrap_or(h.gid),
            uname: pax.uname.unwrap_or(h.uname),
            gname: pax.gname.unwrap_or(h.gname),
            mtime: pax.mtime.unwrap_or(h.mtime),
            size: if kind == EntryKind::File { size } else { 0 },
            stored_size,
            link,
            devmajor: h.devmajor,
            devminor: h.devminor,
            xattrs: pax.xattrs,
            header_offset,
            data_offset: self.offset,
            sparse,
        };
        self.n_entries += 1;
        if let Some(GnuSparse {
            real_size,
            map,
            is_extended,
        }) = h.gnu_sparse
        {
            entry.size = real_size;
            if is_extended {
                self.state = State::SparseExt {
                    entry: Box::new(entry),
                    map,
                };
                return None;
            }
            entry.sparse = Some(Sparse::Map(map));
        }
        Some(self.start_body(entry))
    }

    /// Moves to the entry's body (and padding) and returns the entry.
    fn start_body(&mut self, mut entry: TarEntry) -> TarEntry {
        // Header-only types (links, devices, directories, fifos) have no data whatever their
        // size field says: Go's archive/tar, which docker and podman read layers with, skips
        // nothing for them, so neither do we.
        let header_only = matches!(entry.typeflag, b'1'..=b'6');
        let stored = if header_only { 0 } else { entry.stored_size };
        entry.stored_size = stored;
        let padded = stored.div_ceil(BLOCK).saturating_mul(BLOCK);
        if padded > 0 {
            self.state = State::Body {
                remaining: padded,
                padding: padded - stored,
                entry_end: entry.data_offset.saturating_add(stored),
                path: entry.path.clone(),
            };
        }
        entry
    }

    /// Called when the stream has ended: fine at an entry boundary, an error anywhere else.
    pub fn finish(&self) -> Result<TarEnd, Error> {
        match &self.state {
            State::End => Ok(TarEnd::Marker),
            State::Header if self.buf.is_empty() && self.entry_start.is_none() => {
                if self.n_entries == 0 {
                    if self.offset == 0 {
                        return Err(Error::Empty);
                    }
                    return Err(Error::NotATar {
                        detail: "no entries".into(),
                    });
                }
                Ok(TarEnd::NoMarker)
            }
            State::Header | State::SparseExt { .. } => Err(Error::Truncated {
                what: "the tar".into(),
                offset: self.offset,
                detail: format!(
                    "a header starting at offset {} has only {} of its 512 bytes",
                    self.offset - self.buf.len() as u64,
                    self.buf.len()
                ),
            }),
            State::Meta { at, size, .. } => Err(Error::Truncated {
                what: "the tar".into(),
                offset: self.offset,
                detail: format!("an extended header at offset {at} needs {size} bytes"),
            }),
            State::Body {
                entry_end, path, ..
            } => {
                let name = crate::text::clip(&String::from_utf8_lossy(path), 200);
                if self.offset >= *entry_end {
                    // Only padding is missing: every byte of content is here.
                    Ok(TarEnd::NoPadding { last_entry: name })
                } else {
                    Err(Error::Truncated {
                        what: "the tar".into(),
                        offset: self.offset,
                        detail: format!(
                            "entry `{name}` needs {} more bytes of data (up to offset {entry_end})",
                            entry_end - self.offset
                        ),
                    })
                }
            }
        }
    }
}
