//! A layer's file index: one compact [`Entry`] per tar entry (no file contents), paths interned
//! in a [`PathTable`], whiteouts apart. Built while the layer streams through
//! [`super::LayerScanner`]. About 100 bytes per entry, paths included (the benchmark measures it).

use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::limits::Limits;
use crate::paths::{PathId, PathTable, normalise_layer_path};
use crate::tar::{EntryKind, Sparse, TarEnd, TarEntry};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// An index into a [`Strings`] table; `StrId::NONE` for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StrId(pub u32);

impl StrId {
    pub const NONE: StrId = StrId(u32::MAX);
    pub const EMPTY: StrId = StrId(0);
}

/// Strings stored back to back: user and group names (deduplicated), link targets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Strings {
    bytes: String,
    starts: Vec<u32>,
    /// Recent user/group names, for deduplication (there are only ever a handful).
    #[serde(skip)]
    recent: Vec<(StrId, u32)>,
}

impl Strings {
    /// The stored fields, in their serialized order (a snapshot writes them a piece at a time).
    pub(crate) fn stored(&self) -> (&str, &[u32]) {
        (&self.bytes, &self.starts)
    }

    /// A table from its stored fields, as [`Self::stored`] gives them.
    pub(crate) fn from_stored(bytes: String, starts: Vec<u32>) -> Self {
        Strings {
            bytes,
            starts,
            recent: Vec::new(),
        }
    }

    fn new() -> Self {
        let mut s = Strings {
            bytes: String::new(),
            starts: vec![0],
            recent: Vec::new(),
        };
        s.push(""); // StrId::EMPTY
        s
    }

    fn push(&mut self, v: &str) -> StrId {
        let id = StrId((self.starts.len() - 1) as u32);
        self.bytes.push_str(v);
        self.starts.push(self.bytes.len() as u32);
        id
    }

    /// Interns a short, often repeated string (a user or group name).
    fn intern_small(&mut self, v: &str) -> StrId {
        if v.is_empty() {
            return StrId::EMPTY;
        }
        if let Some((id, _)) = self.recent.iter().find(|(id, _)| self.get(*id) == v) {
            return *id;
        }
        let id = self.push(v);
        if self.recent.len() < 64 {
            self.recent.push((id, 0));
        }
        id
    }

    /// Checks a table that came from outside (see [`LayerIndex::validate`]).
    fn validate(&self) -> Result<(), String> {
        if self.starts.first() != Some(&0) {
            return Err("the strings do not start at 0".into());
        }
        for w in self.starts.windows(2) {
            if w[0] > w[1] {
                return Err("string offsets go backwards".into());
            }
        }
        if self
            .starts
            .iter()
            .any(|&o| !self.bytes.is_char_boundary(o as usize))
        {
            return Err("a string offset is outside the strings or inside a character".into());
        }
        Ok(())
    }

    fn count(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn get(&self, id: StrId) -> &str {
        if id == StrId::NONE {
            return "";
        }
        let i = id.0 as usize;
        &self.bytes[self.starts[i] as usize..self.starts[i + 1] as usize]
    }

    fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.starts.capacity() * 4
    }
}

pub mod flags {
    /// The entry is a sparse file.
    pub const SPARSE: u8 = 1;
    /// The entry has extended attributes (in [`super::LayerIndex::xattrs`]).
    pub const XATTRS: u8 = 2;
    /// The sparse map is in the data (PAX 1.0), not in the headers.
    pub const SPARSE_MAP_IN_DATA: u8 = 4;
}

/// One file, directory, link or device of a layer: 48 bytes, a million of them in every layer
/// index a tab holds. What most entries share is kept apart: the owner (a layer has a handful,
/// [`LayerIndex::owners`]) and the bytes stored when they are not the size (sparse files,
/// [`LayerIndex::stored_sizes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: PathId,
    pub kind: EntryKind,
    pub flags: u8,
    /// Permission bits with setuid, setgid and sticky (`& 0o7777`).
    pub mode: u16,
    /// Its uid, gid and their names, in [`LayerIndex::owners`].
    pub owner: OwnerId,
    /// Symlink target as written, or hard link target (a normalised path in this layer).
    pub link: StrId,
    /// Size in bytes (the real size of a sparse file; 0 for non-files).
    pub size: u64,
    pub mtime: i64,
    /// Offset of the data in the uncompressed layer tar.
    pub data_offset: u64,
    /// xxh3 of the content as stored, to tell changed files from rewritten ones (0 if none).
    pub content_hash: u64,
}

/// An index into a layer's [`LayerIndex::owners`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OwnerId(pub u32);

/// Who owns an entry: the numbers and the names the tar header gives (names may be empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
    pub uname: StrId,
    pub gname: StrId,
}

impl Owner {
    /// root:root, unnamed: what a directory no layer wrote has.
    pub const ROOT: Owner = Owner {
        uid: 0,
        gid: 0,
        uname: StrId::EMPTY,
        gname: StrId::EMPTY,
    };
}

/// A whiteout: `.wh.NAME` deletes `target` (and all below it) from lower layers;
/// `.wh..wh..opq` makes the directory `target` opaque (hides what lower layers put in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Whiteout {
    pub target: PathId,
    pub opaque: bool,
    /// The whiteout entry's own path in the tar (`dir/.wh.name`), for showing evidence.
    pub entry_path: PathId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Xattr {
    pub entry: u32,
    pub name: String,
    pub value: Vec<u8>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LayerIndex {
    /// Shared with the image's tree when the image has this one layer (its table is then the
    /// image's, id for id: one copy on the page, not two).
    pub paths: Arc<PathTable>,
    /// In tar order. A path may appear twice (the later one wins, as when extracting).
    pub entries: Vec<Entry>,
    pub whiteouts: Vec<Whiteout>,
    pub strings: Strings,
    /// The entries' owners, each once (a layer has a handful; one per entry at worst).
    pub owners: Vec<Owner>,
    pub xattrs: Vec<Xattr>,
    /// Sparse files' maps from the headers (old GNU and PAX 0.x), by entry.
    pub sparse_maps: Vec<(u32, Vec<(u64, u64)>)>,
    /// The bytes the tar stores for the entries whose stored bytes are not their size (sparse
    /// files; a non-file with data), by entry, in entry order. Every other entry stores `size`.
    pub stored_sizes: Vec<(u32, u64)>,
    pub diagnostics: Vec<Diagnostic>,
    /// True when the tar ended without end-of-archive blocks (umoci writes those).
    pub no_end_marker: bool,
}

impl LayerIndex {
    pub fn path(&self, e: &Entry) -> String {
        self.paths.path(e.path)
    }

    pub fn link(&self, e: &Entry) -> Option<&str> {
        (e.link != StrId::NONE).then(|| self.strings.get(e.link))
    }

    /// Entry `e`'s owner (root:root, unnamed, for an id out of range: [`Self::validate`]
    /// refuses those in an index from outside).
    pub fn owner(&self, e: &Entry) -> Owner {
        self.owners
            .get(e.owner.0 as usize)
            .copied()
            .unwrap_or(Owner::ROOT)
    }

    pub fn uname(&self, e: &Entry) -> &str {
        self.strings.get(self.owner(e).uname)
    }

    pub fn gname(&self, e: &Entry) -> &str {
        self.strings.get(self.owner(e).gname)
    }

    /// The bytes the tar stores for entry `i`: its size but for a sparse file.
    pub fn stored_size(&self, i: usize) -> u64 {
        match self
            .stored_sizes
            .binary_search_by_key(&(i as u64), |(n, _)| u64::from(*n))
        {
            Ok(at) => self.stored_sizes[at].1,
            Err(_) => self.entries.get(i).map_or(0, |e| e.size),
        }
    }

    /// Heap bytes used by the index (what the memory figures report).
    pub fn heap_bytes(&self) -> usize {
        self.paths.heap_bytes()
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.whiteouts.capacity() * std::mem::size_of::<Whiteout>()
            + self.strings.heap_bytes()
            + self.owners.capacity() * std::mem::size_of::<Owner>()
            + self.stored_sizes.capacity() * std::mem::size_of::<(u32, u64)>()
            + self
                .xattrs
                .iter()
                .map(|x| x.name.len() + x.value.len() + 56)
                .sum::<usize>()
    }

    /// Checks an index that came from outside (a snapshot file) before anything indexes with
    /// it: every path, string and entry number in range.
    pub fn validate(&self) -> Result<(), String> {
        self.paths.validate()?;
        self.strings.validate()?;
        let paths = self.paths.len();
        let strings = self.strings.count();
        let string_ok = |id: StrId| id == StrId::NONE || (id.0 as usize) < strings;
        for (i, e) in self.entries.iter().enumerate() {
            if e.path.index() >= paths {
                return Err(format!("entry {i}'s path is not in the table"));
            }
            if !string_ok(e.link) {
                return Err(format!("entry {i} names a string that is not in the table"));
            }
            if e.owner.0 as usize >= self.owners.len() {
                return Err(format!("entry {i}'s owner is not in the table"));
            }
        }
        if !self
            .owners
            .iter()
            .all(|o| string_ok(o.uname) && string_ok(o.gname))
        {
            return Err("an owner names a string that is not in the table".into());
        }
        for w in &self.whiteouts {
            if w.target.index() >= paths || w.entry_path.index() >= paths {
                return Err("a whiteout's path is not in the table".into());
            }
        }
        let entries = self.entries.len();
        if !self.stored_sizes.windows(2).all(|w| w[0].0 < w[1].0) {
            return Err("the stored sizes are not in entry order".into());
        }
        if self.sparse_maps.iter().any(|(e, _)| *e as usize >= entries)
            || self
                .stored_sizes
                .iter()
                .any(|(e, _)| *e as usize >= entries)
            || self.xattrs.iter().any(|x| x.entry as usize >= entries)
        {
            return Err(
                "a sparse map, stored size or xattr names an entry that does not exist".into(),
            );
        }
        Ok(())
    }

    /// The sparse map of entry `i`, when it is in the headers.
    pub fn sparse_map(&self, i: usize) -> Option<&[(u64, u64)]> {
        self.sparse_maps
            .iter()
            .find(|(e, _)| *e as usize == i)
            .map(|(_, m)| m.as_slice())
    }

    /// Sum of the sizes of regular files.
    pub fn file_bytes(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.kind == EntryKind::File)
            .map(|e| e.size)
            .sum()
    }
}

/// The long sequences of a [`LayerIndex`] (its path table's names and nodes, its entries and
/// whiteouts, its strings), in the order postcard writes them. A snapshot's writer and a scan's
/// reader go through them a run at a time, and both take their order from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongField {
    NameBytes,
    NameStarts,
    Nodes,
    Entries,
    Whiteouts,
    StringBytes,
    StringStarts,
}

impl LongField {
    /// Every one, in their serialized order.
    pub const IN_ORDER: [LongField; 7] = [
        LongField::NameBytes,
        LongField::NameStarts,
        LongField::Nodes,
        LongField::Entries,
        LongField::Whiteouts,
        LongField::StringBytes,
        LongField::StringStarts,
    ];

    /// The one serialized after this; `None` after the last.
    pub fn next(self) -> Option<LongField> {
        let i = Self::IN_ORDER.iter().position(|f| *f == self)?;
        Self::IN_ORDER.get(i + 1).copied()
    }

    /// Its length in `index`: bytes for the two strings' bytes, elements for the rest.
    pub fn len_in(self, index: &LayerIndex) -> usize {
        let (name_bytes, name_starts, nodes) = index.paths.stored();
        let (string_bytes, string_starts) = index.strings.stored();
        match self {
            LongField::NameBytes => name_bytes.len(),
            LongField::NameStarts => name_starts.len(),
            LongField::Nodes => nodes.len(),
            LongField::Entries => index.entries.len(),
            LongField::Whiteouts => index.whiteouts.len(),
            LongField::StringBytes => string_bytes.len(),
            LongField::StringStarts => string_starts.len(),
        }
    }
}

/// Gives each owner of a layer's entries an id in its table, storing it once.
#[derive(Debug, Default)]
pub(crate) struct OwnerInterner {
    ids: std::collections::HashMap<Owner, OwnerId>,
    /// The last owner's, looked at first: a layer's entries come in runs of one owner.
    last: Option<(Owner, OwnerId)>,
}

impl OwnerInterner {
    /// `owner`'s id in `table`, where it is added the first time it is seen.
    pub(crate) fn id(&mut self, table: &mut Vec<Owner>, owner: Owner) -> OwnerId {
        if let Some((last, id)) = self.last
            && last == owner
        {
            return id;
        }
        let id = match self.ids.get(&owner) {
            Some(id) => *id,
            None => {
                let id = OwnerId(table.len() as u32);
                table.push(owner);
                // A layer of a different owner an entry (hostile, or generated) stores them
                // as an entry field would, without a map beside them.
                if self.ids.len() < MAX_OWNERS_LOOKED_UP {
                    self.ids.insert(owner, id);
                }
                id
            }
        };
        self.last = Some((owner, id));
        id
    }
}

/// Builds a [`LayerIndex`] from tar entries, in order.
#[derive(Debug)]
pub struct LayerIndexBuilder {
    index: LayerIndex,
    limits: Limits,
    /// Diagnostics of one kind beyond this many are counted, not listed.
    suppressed: usize,
    /// How far through its layer the scan is: (stored bytes read, stored bytes in all), the
    /// second 0 when unknown.
    progress: (u64, u64),
    owners: OwnerInterner,
}

const MAX_LISTED_DIAGNOSTICS: usize = 200;
/// Owners beyond this many are added to a layer's table without looking for them first.
const MAX_OWNERS_LOOKED_UP: usize = 1 << 16;

impl LayerIndexBuilder {
    pub fn new(limits: &Limits) -> Self {
        let index = LayerIndex {
            paths: Arc::new(PathTable::new()),
            strings: Strings::new(),
            ..LayerIndex::default()
        };
        LayerIndexBuilder {
            index,
            limits: limits.clone(),
            suppressed: 0,
            progress: (0, 0),
            owners: OwnerInterner::default(),
        }
    }

    /// Says how far through its layer the scan is (stored bytes read, and in all; 0 if
    /// unknown), for [`Self::make_room`].
    pub fn at(&mut self, read: u64, total: u64) -> &mut Self {
        self.progress = (read, total);
        self
    }

    /// Room for more entries, once the index is full. Once an eighth of the layer is read,
    /// for about as many as it will have at that rate, a sixteenth over (a uniform layer's
    /// estimate is close, and its index then grows once more, not three times by doubling);
    /// at least a quarter more, so an estimate that runs short costs a few copies, and at
    /// most eight times what there is. Before that, or with no size to go by, doubling.
    ///
    /// The path table makes room at the same rate, for the paths and names the layer will
    /// have: its tables, too, held the old and the new copy at once each time they doubled.
    fn make_room(&mut self) {
        let entries = &mut self.index.entries;
        let len = entries.len();
        let (read, total) = self.progress;
        let estimated = total > 0 && read.saturating_mul(8) >= total;
        let more = if estimated {
            let expected =
                u64::try_from(u128::from(len as u64) * u128::from(total) / u128::from(read.max(1)))
                    .unwrap_or(u64::MAX);
            let expected = usize::try_from(expected).unwrap_or(usize::MAX);
            (expected.saturating_add(expected / 16))
                .saturating_sub(len)
                .max(len / 4 + 64)
                .min(len.saturating_mul(8))
        } else {
            len.max(64)
        };
        entries.reserve_exact(more);
        if estimated && len > 0 {
            // As many more of each as entries, in proportion to what there is per entry so far.
            Arc::make_mut(&mut self.index.paths).make_room(|n| {
                usize::try_from(n as u128 * (len + more) as u128 / len as u128)
                    .unwrap_or(usize::MAX)
            });
        }
    }

    fn diagnose(&mut self, d: Diagnostic) {
        if self.index.diagnostics.len() < MAX_LISTED_DIAGNOSTICS {
            self.index.diagnostics.push(d);
        } else {
            self.suppressed += 1;
        }
    }

    /// Adds one tar entry; returns the index of its [`Entry`] when it is one (whiteouts,
    /// refused paths and the root are not).
    pub fn add(&mut self, t: &TarEntry) -> Result<Option<usize>, Error> {
        let raw = String::from_utf8_lossy(&t.path);
        if raw.len() as u64 > self.limits.max_path_bytes {
            self.diagnose(Diagnostic::error(
                "path-too-long",
                crate::text::clip(&raw, 120),
                format!(
                    "this path is {} bytes, over the limit `max_path_bytes` ({}); the entry is skipped",
                    raw.len(),
                    self.limits.max_path_bytes
                ),
            ));
            return Ok(None);
        }
        let path = match normalise_layer_path(&raw) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None), // the root itself (`./`, `/`): nothing to index
            Err(why) => {
                self.diagnose(Diagnostic::error(
                    "unsafe-path",
                    crate::text::clip(&raw, 200),
                    format!(
                        "this entry is skipped: {why} (a tar trying to write outside the image)"
                    ),
                ));
                return Ok(None);
            }
        };
        let depth = path.split('/').count() as u64;
        if depth > self.limits.max_path_depth {
            self.diagnose(Diagnostic::error(
                "path-too-deep",
                crate::text::clip(&path, 120),
                format!(
                    "this path has {depth} components, over the limit `max_path_depth` ({}); the entry is skipped",
                    self.limits.max_path_depth
                ),
            ));
            return Ok(None);
        }
        let name = path.rsplit('/').next().unwrap_or("");
        if let Some(target_name) = name.strip_prefix(".wh.") {
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            let entry_path = Arc::make_mut(&mut self.index.paths).intern(&path);
            if target_name == ".wh..opq" {
                let target = Arc::make_mut(&mut self.index.paths).intern(dir);
                self.index.whiteouts.push(Whiteout {
                    target,
                    opaque: true,
                    entry_path,
                });
            } else if target_name.starts_with(".wh.") {
                // AUFS metadata (`.wh..wh.plnk`, `.wh..wh.aufs`): not a deletion.
                self.diagnose(Diagnostic::note(
                    "aufs-metadata",
                    path.clone(),
                    "AUFS metadata entry, ignored",
                ));
            } else if target_name.is_empty() || target_name == "." || target_name == ".." {
                self.diagnose(Diagnostic::error(
                    "bad-whiteout",
                    path.clone(),
                    "a whiteout with no valid name to delete; ignored",
                ));
            } else {
                let target = if dir.is_empty() {
                    target_name.to_owned()
                } else {
                    format!("{dir}/{target_name}")
                };
                let target = Arc::make_mut(&mut self.index.paths).intern(&target);
                self.index.whiteouts.push(Whiteout {
                    target,
                    opaque: false,
                    entry_path,
                });
            }
            return Ok(None);
        }
        if self.index.entries.len() as u64 >= self.limits.max_layer_entries {
            return Err(self.limits.exceeded(
                "max_layer_entries",
                format!(
                    "the layer has more than {} entries",
                    self.limits.max_layer_entries
                ),
            ));
        }
        let id = Arc::make_mut(&mut self.index.paths).intern(&path);
        let link = match (&t.link, t.kind) {
            (Some(l), EntryKind::Hardlink) => {
                let l = String::from_utf8_lossy(l);
                match normalise_layer_path(&l) {
                    Ok(Some(target)) => self.index.strings.push(&target),
                    _ => {
                        self.diagnose(Diagnostic::error(
                            "unsafe-hardlink",
                            path.clone(),
                            format!("a hard link to `{}`, outside the layer; it is kept but cannot be followed", crate::text::clip(&l, 120)),
                        ));
                        self.index.strings.push(&l)
                    }
                }
            }
            (Some(l), _) => self.index.strings.push(&String::from_utf8_lossy(l)),
            (None, _) => StrId::NONE,
        };
        let mut flags = 0;
        let n = self.index.entries.len() as u32;
        match &t.sparse {
            Some(Sparse::Map(map)) => {
                flags |= flags::SPARSE;
                self.index.sparse_maps.push((n, map.clone()));
            }
            Some(Sparse::MapInData) => flags |= flags::SPARSE | flags::SPARSE_MAP_IN_DATA,
            None => {}
        }
        if !t.xattrs.is_empty() {
            flags |= flags::XATTRS;
            for (name, value) in &t.xattrs {
                self.index.xattrs.push(Xattr {
                    entry: n,
                    name: name.clone(),
                    value: value.clone(),
                });
            }
        }
        let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        let uname = self
            .index
            .strings
            .intern_small(&String::from_utf8_lossy(&t.uname));
        let gname = self
            .index
            .strings
            .intern_small(&String::from_utf8_lossy(&t.gname));
        let owner = self.owners.id(
            &mut self.index.owners,
            Owner {
                uid: clamp(t.uid),
                gid: clamp(t.gid),
                uname,
                gname,
            },
        );
        if t.stored_size != t.size {
            self.index.stored_sizes.push((n, t.stored_size));
        }
        if self.index.entries.len() == self.index.entries.capacity() {
            self.make_room();
        }
        self.index.entries.push(Entry {
            path: id,
            kind: t.kind,
            flags,
            mode: (t.mode & 0o7777) as u16,
            owner,
            link,
            size: t.size,
            mtime: t.mtime,
            data_offset: t.data_offset,
            content_hash: 0,
        });
        Ok(Some(n as usize))
    }

    /// Entry `i`'s name (last component) and its parent directory's name, without building
    /// the path: what a capture filter looks at first.
    pub fn entry_names(&self, i: usize) -> (&str, &str) {
        let Some(e) = self.index.entries.get(i) else {
            return ("", "");
        };
        let parent = self
            .index
            .paths
            .parent(e.path)
            .map_or("", |p| self.index.paths.name(p));
        (parent, self.index.paths.name(e.path))
    }

    /// Entry `i`'s normalised path.
    pub fn entry_path(&self, i: usize) -> String {
        self.index
            .entries
            .get(i)
            .map_or_else(String::new, |e| self.index.paths.path(e.path))
    }

    /// Records the content hash of entry `i` once its data has streamed by.
    pub fn set_content_hash(&mut self, i: usize, hash: u64) {
        if let Some(e) = self.index.entries.get_mut(i) {
            e.content_hash = hash;
        }
    }

    pub fn finish(mut self, end: TarEnd) -> LayerIndex {
        if self.suppressed > 0 {
            self.index.diagnostics.push(Diagnostic::warning(
                "more-diagnostics",
                "layer",
                format!(
                    "{} more problems like the above are not listed",
                    self.suppressed
                ),
            ));
        }
        if let TarEnd::NoPadding { last_entry } = &end {
            self.index.diagnostics.push(Diagnostic::note(
                "tar-no-padding",
                last_entry.clone(),
                "the layer's tar ends inside this last entry's padding to 512 bytes, without \
                 end-of-archive blocks: its content is complete (umoci 0.4 writes layers so; \
                 docker, podman and skopeo read them, GNU tar and Python's tarfile call them \
                 truncated)",
            ));
        }
        self.index.no_end_marker = end != TarEnd::Marker;
        // Hard links must point at something in this layer.
        let mut present = vec![false; self.index.paths.len()];
        for e in &self.index.entries {
            present[e.path.index()] = true;
        }
        let mut missing = Vec::new();
        for e in &self.index.entries {
            if e.kind == EntryKind::Hardlink {
                let target = self.index.strings.get(e.link);
                if self
                    .index
                    .paths
                    .lookup(target)
                    .is_none_or(|id| !present[id.index()])
                {
                    missing.push((self.index.paths.path(e.path), target.to_owned()));
                }
            }
        }
        for (path, target) in missing.into_iter().take(MAX_LISTED_DIAGNOSTICS) {
            self.index.diagnostics.push(Diagnostic::warning(
                "dangling-hardlink",
                path,
                format!(
                    "a hard link to `{}`, which is not in this layer",
                    crate::text::clip(&target, 120)
                ),
            ));
        }
        // Shrinking copies the entries (natively, and in wasm unless the allocator can split
        // the block in place): for a million entries, 72 MB held twice, a scanning worker's
        // peak. Room made from the layer's size is at most a sixteenth over, so it is kept;
        // room made by doubling (no size given) may be half unused, and is given back.
        let entries = &mut self.index.entries;
        if entries.capacity() - entries.len() > entries.capacity() / 8 {
            entries.shrink_to_fit();
        }
        self.index
    }
}

#[cfg(test)]
mod tests {
    //! What the index keeps of a tar's names, one line a case: the paths (normalised), the
    //! whiteouts, and the diagnostics for names it refuses.

    use super::*;
    use crate::layer::LayerScanner;

    /// A tar whose entries have exactly these names (written raw: `..` and `/` too); a name
    /// ending in `/` is a directory, `name>target` a hard link.
    fn tar_of(names: &[&str]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for spec in names {
            let (name, link) = spec
                .split_once('>')
                .map_or((*spec, None), |(n, l)| (n, Some(l)));
            let mut h = tar::Header::new_old();
            let raw = &mut h.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            if let Some(l) = link {
                h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
                h.set_entry_type(tar::EntryType::Link);
            } else if name.ends_with('/') {
                h.set_entry_type(tar::EntryType::Directory);
            }
            h.set_mode(0o644);
            h.set_size(0);
            h.set_cksum();
            b.append(&h, &[][..]).unwrap_or_else(|e| panic!("{e}"));
        }
        b.into_inner().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The index of a tar with entries named `names`: its entries' paths, its whiteouts
    /// (`-target` deletes, `opaque dir`), and the codes of its diagnostics.
    #[track_caller]
    fn check(names: &[&str], paths: &[&str], whiteouts: &[&str], codes: &[&str]) {
        let mut s = LayerScanner::new(None, &Limits::default());
        s.push(&tar_of(names));
        let index = s.finish().index;
        let got: Vec<String> = index.entries.iter().map(|e| index.path(e)).collect();
        assert_eq!(got, paths, "paths of {names:?}");
        let got: Vec<String> = index
            .whiteouts
            .iter()
            .map(|w| {
                let target = index.paths.path(w.target);
                if w.opaque {
                    format!("opaque {target}")
                } else {
                    format!("-{target}")
                }
            })
            .collect();
        assert_eq!(got, whiteouts, "whiteouts of {names:?}");
        let got: Vec<&str> = index.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(got, codes, "diagnostics of {names:?}");
    }

    /// A snapshot's writer and a scan's reader take the long fields' order from `LongField`:
    /// encoded one after the other in that order, they are how the index's own bytes begin.
    #[test]
    fn the_long_fields_in_order_are_how_an_index_s_bytes_begin() -> postcard::Result<()> {
        let mut s = LayerScanner::new(None, &Limits::default());
        s.push(&tar_of(&["a", "b/c", "b/.wh.d", "e/.wh..wh..opq"]));
        let index = s.finish().index;
        let (name_bytes, name_starts, nodes) = index.paths.stored();
        let (string_bytes, string_starts) = index.strings.stored();
        let mut prefix = Vec::new();
        for field in LongField::IN_ORDER {
            let (bytes, len) = match field {
                LongField::NameBytes => (postcard::to_allocvec(name_bytes)?, name_bytes.len()),
                LongField::NameStarts => (postcard::to_allocvec(name_starts)?, name_starts.len()),
                LongField::Nodes => (postcard::to_allocvec(nodes)?, nodes.len()),
                LongField::Entries => (postcard::to_allocvec(&index.entries)?, index.entries.len()),
                LongField::Whiteouts => (
                    postcard::to_allocvec(&index.whiteouts)?,
                    index.whiteouts.len(),
                ),
                LongField::StringBytes => {
                    (postcard::to_allocvec(string_bytes)?, string_bytes.len())
                }
                LongField::StringStarts => {
                    (postcard::to_allocvec(string_starts)?, string_starts.len())
                }
            };
            assert_eq!(field.len_in(&index), len, "{field:?}");
            prefix.extend(bytes);
        }
        assert_eq!(index.whiteouts.len(), 2);
        let whole = postcard::to_allocvec(&index)?;
        assert!(whole.len() > prefix.len() && whole.starts_with(&prefix));
        // `next` walks the same order, and ends after the last.
        let mut walk = vec![LongField::IN_ORDER[0]];
        while let Some(next) = walk.last().and_then(|f| f.next()) {
            walk.push(next);
        }
        assert_eq!(walk, LongField::IN_ORDER);
        Ok(())
    }

    #[test]
    fn the_index_makes_room_for_as_many_entries_as_the_layer_will_have() {
        let entry = Entry {
            path: PathId::ROOT,
            kind: EntryKind::File,
            flags: 0,
            mode: 0o644,
            owner: OwnerId(0),
            link: StrId::NONE,
            size: 0,
            mtime: 0,
            data_offset: 0,
            content_hash: 0,
        };
        // A full index of 4096 entries, `read` of `total` stored bytes in: the room it makes.
        let room = |read: u64, total: u64| {
            let mut b = LayerIndexBuilder::new(&Limits::default());
            b.index.entries = vec![entry; 4096];
            b.index.entries.shrink_to_fit();
            b.at(read, total).make_room();
            b.index.entries.capacity()
        };
        let near = |got: usize, want: usize| got >= want && got < want + 64;
        // An eighth of the way through: eight times as many, a sixteenth over.
        assert!(
            near(room(1000, 8000), 4096 * 8 + 4096 * 8 / 16),
            "{}",
            room(1000, 8000)
        );
        // Half way: twice as many, a sixteenth over.
        assert!(near(room(4000, 8000), 8192 + 512), "{}", room(4000, 8000));
        // Too early to tell, or no size to go by: doubling.
        assert!(near(room(999, 8000), 8192), "{}", room(999, 8000));
        assert!(near(room(5000, 0), 8192), "{}", room(5000, 0));
        // At the end (or past what was said): a quarter more, never less.
        assert!(
            near(room(8000, 8000), 4096 + 1024 + 64),
            "{}",
            room(8000, 8000)
        );
        assert!(
            near(room(9000, 8000), 4096 + 1024 + 64),
            "{}",
            room(9000, 8000)
        );
    }

    #[test]
    fn names() {
        check(
            &["a", "./b", "/c", "d/", "d/e"],
            &["a", "b", "c", "d", "d/e"],
            &[],
            &[],
        );
        // The root itself is no entry.
        check(&["./", "/", "a"], &["a"], &[], &[]);
        // A later entry for the same path is kept as well (the later one wins in the tree).
        check(&["a", "a"], &["a", "a"], &[], &[]);
    }

    #[test]
    fn names_that_escape_are_refused() {
        check(&["../etc/passwd", "ok"], &["ok"], &[], &["unsafe-path"]);
        check(&["a/../../b"], &[], &[], &["unsafe-path"]);
        // A hard link out of the layer is kept, and said.
        check(
            &["x>../../etc/shadow"],
            &["x"],
            &[],
            &["unsafe-hardlink", "dangling-hardlink"],
        );
    }

    #[test]
    fn whiteouts() {
        check(&["d/.wh.x", ".wh.top"], &[], &["-d/x", "-top"], &[]);
        check(&["d/", "d/.wh..wh..opq"], &["d"], &["opaque d"], &[]);
        // AUFS's own metadata is not a deletion.
        check(
            &[".wh..wh.plnk/", ".wh..wh.aufs"],
            &[],
            &[],
            &["aufs-metadata", "aufs-metadata"],
        );
        check(&["d/.wh."], &[], &[], &["bad-whiteout"]);
    }

    /// An entry is 48 bytes (a million of them are in every index a tab holds): who owns it is
    /// in the layer's table of owners, each owner once, and each entry still answers with its
    /// own header's uid, gid and names.
    #[test]
    fn owners_are_stored_once_a_layer_and_each_entry_answers_with_its_own() {
        assert_eq!(std::mem::size_of::<Entry>(), 48);
        let owners = [
            (0, 0, "root", "root"),
            (1000, 100, "alice", "users"),
            (65534, 65534, "", ""),
        ];
        let mut b = tar::Builder::new(Vec::new());
        let mut want = Vec::new();
        for i in 0..30u64 {
            // Runs of one owner, and owners coming back after others.
            let (uid, gid, uname, gname) = owners[((i / 4) % 3) as usize];
            let mut h = tar::Header::new_gnu();
            h.set_path(format!("f{i}"))
                .unwrap_or_else(|e| panic!("{e}"));
            h.set_mode(0o644);
            h.set_uid(uid);
            h.set_gid(gid);
            h.set_username(uname).unwrap_or_else(|e| panic!("{e}"));
            h.set_groupname(gname).unwrap_or_else(|e| panic!("{e}"));
            h.set_size(0);
            h.set_cksum();
            b.append(&h, &[][..]).unwrap_or_else(|e| panic!("{e}"));
            want.push((uid as u32, gid as u32, uname.to_owned(), gname.to_owned()));
        }
        let mut s = LayerScanner::new(None, &Limits::default());
        s.push(&b.into_inner().unwrap_or_else(|e| panic!("{e}")));
        let mut index = s.finish().index;
        assert_eq!(index.owners.len(), 3);
        let got: Vec<_> = index
            .entries
            .iter()
            .map(|e| {
                (
                    index.owner(e).uid,
                    index.owner(e).gid,
                    index.uname(e).to_owned(),
                    index.gname(e).to_owned(),
                )
            })
            .collect();
        assert_eq!(got, want);
        assert!(index.validate().is_ok());
        // From outside, an owner out of the table is refused before it is used.
        index.entries[7].owner = OwnerId(3);
        let e = index.validate().map(|_| ()).unwrap_err();
        assert!(e.contains("entry 7's owner is not in the table"), "{e}");
    }
}
