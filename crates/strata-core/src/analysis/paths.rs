//! Paths, interned: every path is a node `(parent, name)` in a trie, and every name is stored
//! once. A million entries under a few thousand directories cost a few bytes each for their
//! paths, and comparing paths across layers is comparing `u32`s.
//!
//! The two lookup tables are open-addressing arrays of `u32` ids (no per-entry allocation):
//! names by the hash of their bytes, nodes by the hash of `(parent, name)`. Beside each slot,
//! one byte of its hash: a probe that meets another name (most of them, a million files in)
//! is told apart by that byte, without reading the name's bytes or the node elsewhere in
//! memory. Interning is the hottest loop of indexing a layer and of building an image's tree.

use serde::{Deserialize, Serialize};

/// A path in a [`PathTable`]. `PathId::ROOT` is the root directory (the empty path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PathId(pub u32);

impl PathId {
    pub const ROOT: PathId = PathId(0);

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

const EMPTY: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Node {
    parent: u32,
    name: u32,
}

/// Interned path components, and the trie of paths over them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PathTable {
    /// All names, back to back.
    name_bytes: String,
    /// `name_starts[i]..name_starts[i + 1]` is name `i`.
    name_starts: Vec<u32>,
    nodes: Vec<Node>,
    /// Built when first needed: not sent across workers, and never needed for most tables
    /// that were (a layer's on the page; a one-layer image's tree, unless a view looks a path
    /// up by name). Rebuilding a million paths' was half the page's tree time.
    #[serde(skip)]
    lookups: std::sync::OnceLock<Lookups>,
}

/// The two open-addressing tables of a [`PathTable`].
#[derive(Debug, Clone, Default)]
struct Lookups {
    name_slots: Vec<u32>,
    /// The top byte of the hash of the name in each slot.
    name_tags: Vec<u8>,
    node_slots: Vec<u32>,
    node_tags: Vec<u8>,
}

fn hash_bytes(b: &[u8]) -> u64 {
    // xxh3: a few multiplications for a short name, where a byte-at-a-time hash takes one per
    // byte. Never stored (the tables are rebuilt after a transfer), so it may change.
    xxhash_rust::xxh3::xxh3_64(b)
}

/// The byte kept beside a slot: the hash's top bits (the slot index uses its low bits).
fn tag(h: u64) -> u8 {
    (h >> 56) as u8
}

/// Name `id`'s bytes (no character-boundary checks: the offsets were made, or validated, on
/// boundaries).
fn name_at<'a>(bytes: &'a str, starts: &[u32], id: u32) -> &'a [u8] {
    let i = id as usize;
    &bytes.as_bytes()[starts[i] as usize..starts[i + 1] as usize]
}

fn intern_name(bytes: &mut String, starts: &mut Vec<u32>, l: &mut Lookups, name: &str) -> u32 {
    let h = hash_bytes(name.as_bytes());
    if let Some(id) = find_name_hashed(bytes, starts, l, name, h) {
        return id;
    }
    let n = starts.len() - 1;
    if (n + 1) * 2 > l.name_slots.len() {
        grow_names(bytes, starts, l, l.name_slots.len() * 2);
    }
    bytes.push_str(name);
    starts.push(bytes.len() as u32);
    place_name(l, n as u32, h);
    n as u32
}

fn find_name(bytes: &str, starts: &[u32], l: &Lookups, name: &str) -> Option<u32> {
    find_name_hashed(bytes, starts, l, name, hash_bytes(name.as_bytes()))
}

fn find_name_hashed(bytes: &str, starts: &[u32], l: &Lookups, name: &str, h: u64) -> Option<u32> {
    let mask = l.name_slots.len() - 1;
    let (mut i, t) = (h as usize & mask, tag(h));
    loop {
        let slot = l.name_slots[i];
        if slot == EMPTY {
            return None;
        }
        if l.name_tags[i] == t && name_at(bytes, starts, slot) == name.as_bytes() {
            return Some(slot);
        }
        i = (i + 1) & mask;
    }
}

fn place_name(l: &mut Lookups, id: u32, h: u64) {
    let mask = l.name_slots.len() - 1;
    let mut i = h as usize & mask;
    while l.name_slots[i] != EMPTY {
        i = (i + 1) & mask;
    }
    l.name_slots[i] = id;
    l.name_tags[i] = tag(h);
}

/// The name lookups made `slots` big and filled again. The old ones are freed first: they are
/// rebuilt from the names, so they need not be held beside the new ones.
fn grow_names(bytes: &str, starts: &[u32], l: &mut Lookups, slots: usize) {
    (l.name_slots, l.name_tags) = (Vec::new(), Vec::new());
    l.name_slots = vec![EMPTY; slots];
    l.name_tags = vec![0; slots];
    for id in 0..(starts.len() - 1) as u32 {
        place_name(l, id, hash_bytes(name_at(bytes, starts, id)));
    }
}

fn find_node(nodes: &[Node], l: &Lookups, parent: u32, name: u32) -> Option<u32> {
    let mask = l.node_slots.len() - 1;
    let h = hash_node(parent, name);
    let (mut i, t) = (h as usize & mask, tag(h));
    loop {
        let slot = l.node_slots[i];
        if slot == EMPTY {
            return None;
        }
        if l.node_tags[i] == t {
            let n = nodes[slot as usize];
            if n.parent == parent && n.name == name && slot != 0 {
                return Some(slot);
            }
        }
        i = (i + 1) & mask;
    }
}

fn place_node(nodes: &[Node], l: &mut Lookups, id: u32) {
    let n = nodes[id as usize];
    let mask = l.node_slots.len() - 1;
    let h = hash_node(n.parent, n.name);
    let mut i = h as usize & mask;
    while l.node_slots[i] != EMPTY {
        i = (i + 1) & mask;
    }
    l.node_slots[i] = id;
    l.node_tags[i] = tag(h);
}

/// The path lookups made `slots` big and filled again, the old ones freed first (as above).
fn grow_nodes(nodes: &[Node], l: &mut Lookups, slots: usize) {
    (l.node_slots, l.node_tags) = (Vec::new(), Vec::new());
    l.node_slots = vec![EMPTY; slots];
    l.node_tags = vec![0; slots];
    for id in 1..nodes.len() as u32 {
        place_node(nodes, l, id);
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hash_node(parent: u32, name: u32) -> u64 {
    mix((u64::from(parent) << 32) | u64::from(name))
}

impl PathTable {
    pub fn new() -> Self {
        let mut t = PathTable {
            name_bytes: String::new(),
            name_starts: vec![0],
            nodes: Vec::new(),
            lookups: std::sync::OnceLock::new(),
        };
        let mut lookups = Lookups {
            name_slots: vec![EMPTY; 16],
            name_tags: vec![0; 16],
            node_slots: vec![EMPTY; 16],
            node_tags: vec![0; 16],
        };
        let empty = intern_name(&mut t.name_bytes, &mut t.name_starts, &mut lookups, "");
        t.lookups = std::sync::OnceLock::from(lookups);
        t.nodes.push(Node {
            parent: 0,
            name: empty,
        });
        t
    }

    /// The stored fields, in their serialized order (a snapshot writes them a piece at a time).
    pub(crate) fn stored(&self) -> (&str, &[u32], &[Node]) {
        (&self.name_bytes, &self.name_starts, &self.nodes)
    }

    /// A table from its stored fields, as [`Self::stored`] gives them (its lookups built when
    /// first needed, as after deserializing).
    pub(crate) fn from_stored(name_bytes: String, name_starts: Vec<u32>, nodes: Vec<Node>) -> Self {
        PathTable {
            name_bytes,
            name_starts,
            nodes,
            lookups: std::sync::OnceLock::new(),
        }
    }

    /// The start of a copy of `of`, made a piece at a time ([`Self::copy_names`], then
    /// [`Self::copy_nodes`]): room for all of it, and nothing in it yet. Until both are done
    /// it is not a table to read.
    pub(crate) fn copy_start(of: &PathTable) -> PathTable {
        let mut name_starts = Vec::with_capacity(of.name_starts.len());
        name_starts.push(0);
        PathTable {
            name_bytes: String::with_capacity(of.name_bytes.len()),
            name_starts,
            nodes: Vec::with_capacity(of.nodes.len()),
            lookups: std::sync::OnceLock::new(),
        }
    }

    /// Room made now, and at once, for `scale(n)` of what it has `n` of (names, paths, bytes of
    /// names): interning up to that many then grows nothing (a table that doubles holds its old
    /// and new copies at once, and up to half of the new one unused). The lookups, if built,
    /// are made that size and filled again now. A scale below what it has changes nothing.
    pub(crate) fn make_room(&mut self, scale: impl Fn(usize) -> usize) {
        let (names, nodes) = (scale(self.n_names()), scale(self.nodes.len()));
        let PathTable {
            name_bytes: bytes,
            name_starts,
            nodes: table,
            lookups,
        } = self;
        bytes.reserve_exact(scale(bytes.len()).saturating_sub(bytes.len()));
        name_starts.reserve_exact((names + 1).saturating_sub(name_starts.len()));
        table.reserve_exact(nodes.saturating_sub(table.len()));
        if let Some(l) = lookups.get_mut() {
            let name_slots = (names.max(8) * 2).next_power_of_two();
            if name_slots > l.name_slots.len() {
                grow_names(bytes, name_starts, l, name_slots);
            }
            let node_slots = (nodes.max(8) * 2).next_power_of_two();
            if node_slots > l.node_slots.len() {
                grow_nodes(table, l, node_slots);
            }
        }
    }

    /// How many names and nodes this table has.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.n_names(), self.nodes.len())
    }

    /// `from`'s names up to `end` appended to this copy of it ([`Self::copy_start`]), after
    /// those it has.
    pub(crate) fn copy_names(&mut self, from: &PathTable, end: usize) {
        let next = self.n_names();
        let (a, z) = (
            from.name_starts[next] as usize,
            from.name_starts[end] as usize,
        );
        self.name_bytes.push_str(&from.name_bytes[a..z]);
        self.name_starts
            .extend_from_slice(&from.name_starts[next + 1..=end]);
    }

    /// `from`'s nodes up to `end` appended to this copy of it, after those it has (its names
    /// copied first). Its lookups are not copied: they are built when first needed, or
    /// reserved and placed ([`Self::reserve_lookups`]).
    pub(crate) fn copy_nodes(&mut self, from: &PathTable, end: usize) {
        let next = self.nodes.len();
        self.nodes.extend_from_slice(&from.nodes[next..end]);
    }

    /// Empty lookup tables with room for `names` names and `nodes` paths in all, in place of
    /// any it had: its own names and paths are placed in them next, a piece at a time
    /// ([`Self::place_names`], [`Self::place_nodes`]). Interning up to that many then never
    /// grows them: each growth hashed every name and path so far again, in one go (118 and 218
    /// ms natively for an image of a million paths over 12 layers).
    pub(crate) fn reserve_lookups(&mut self, names: usize, nodes: usize) {
        let names = (names.max(self.n_names()).max(8) * 2).next_power_of_two();
        let nodes = (nodes.max(self.nodes.len()).max(8) * 2).next_power_of_two();
        self.lookups = std::sync::OnceLock::from(Lookups {
            name_slots: vec![EMPTY; names],
            name_tags: vec![0; names],
            node_slots: vec![EMPTY; nodes],
            node_tags: vec![0; nodes],
        });
    }

    /// Names `range` placed in the lookups [`Self::reserve_lookups`] made.
    pub(crate) fn place_names(&mut self, range: std::ops::Range<usize>) {
        let PathTable {
            name_bytes,
            name_starts,
            lookups,
            ..
        } = self;
        if let Some(l) = lookups.get_mut() {
            for id in range {
                let id = id as u32;
                place_name(l, id, hash_bytes(name_at(name_bytes, name_starts, id)));
            }
        }
    }

    /// Paths `range` (the root is never placed) placed in the lookups
    /// [`Self::reserve_lookups`] made.
    pub(crate) fn place_nodes(&mut self, range: std::ops::Range<usize>) {
        let PathTable { nodes, lookups, .. } = self;
        if let Some(l) = lookups.get_mut() {
            for id in range.start.max(1)..range.end {
                place_node(nodes, l, id as u32);
            }
        }
    }

    /// Number of paths (nodes), the root included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// Heap bytes used (for the memory figures the benchmark reports).
    pub fn heap_bytes(&self) -> usize {
        self.name_bytes.capacity()
            + self.name_starts.capacity() * 4
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.lookups.get().map_or(0, |l| {
                (l.name_slots.capacity() + l.node_slots.capacity()) * 5
            })
    }

    fn name_str(&self, id: u32) -> &str {
        let i = id as usize;
        &self.name_bytes[self.name_starts[i] as usize..self.name_starts[i + 1] as usize]
    }

    fn n_names(&self) -> usize {
        self.name_starts.len() - 1
    }

    /// Whether the lookup tables are built (they are when first needed).
    #[cfg(test)]
    pub(crate) fn has_lookups(&self) -> bool {
        self.lookups.get().is_some()
    }

    /// The lookup tables, built now if they were not.
    fn lookups(&self) -> &Lookups {
        self.lookups.get_or_init(|| self.built_lookups())
    }

    fn built_lookups(&self) -> Lookups {
        let mut l = Lookups::default();
        let names = (self.n_names().max(8) * 2).next_power_of_two();
        grow_names(&self.name_bytes, &self.name_starts, &mut l, names);
        grow_nodes(
            &self.nodes,
            &mut l,
            (self.nodes.len().max(8) * 2).next_power_of_two(),
        );
        l
    }

    /// The child `name` of `parent`, created if new. `name` must be one component.
    pub fn child(&mut self, parent: PathId, name: &str) -> PathId {
        if self.lookups.get().is_none() {
            let l = self.built_lookups();
            let _ = self.lookups.set(l);
        }
        // Apart, as the lookups are borrowed beside the names and nodes they index.
        let PathTable {
            name_bytes,
            name_starts,
            nodes,
            lookups,
        } = self;
        let Some(l) = lookups.get_mut() else {
            unreachable!("the lookups were built above")
        };
        let name_id = intern_name(name_bytes, name_starts, l, name);
        if let Some(id) = find_node(nodes, l, parent.0, name_id) {
            return PathId(id);
        }
        if (nodes.len() + 1) * 2 > l.node_slots.len() {
            grow_nodes(nodes, l, l.node_slots.len() * 2);
        }
        let id = nodes.len() as u32;
        nodes.push(Node {
            parent: parent.0,
            name: name_id,
        });
        place_node(nodes, l, id);
        PathId(id)
    }

    /// The existing child `name` of `parent`.
    pub fn get_child(&self, parent: PathId, name: &str) -> Option<PathId> {
        let l = self.lookups();
        let name_id = find_name(&self.name_bytes, &self.name_starts, l, name)?;
        find_node(&self.nodes, l, parent.0, name_id).map(PathId)
    }

    /// Interns a normalised path (`a/b/c`, no `.` or `..`, no empty components).
    pub fn intern(&mut self, path: &str) -> PathId {
        let mut id = PathId::ROOT;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            id = self.child(id, part);
        }
        id
    }

    /// The id of a normalised path, if interned.
    pub fn lookup(&self, path: &str) -> Option<PathId> {
        let mut id = PathId::ROOT;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            id = self.get_child(id, part)?;
        }
        Some(id)
    }

    pub fn parent(&self, id: PathId) -> Option<PathId> {
        (id != PathId::ROOT).then(|| PathId(self.nodes[id.index()].parent))
    }

    /// The last component (`""` for the root).
    pub fn name(&self, id: PathId) -> &str {
        self.name_str(self.nodes[id.index()].name)
    }

    /// The full path, `a/b/c` (`""` for the root).
    pub fn path(&self, id: PathId) -> String {
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != PathId::ROOT {
            parts.push(self.name(cur));
            cur = PathId(self.nodes[cur.index()].parent);
        }
        parts.reverse();
        parts.join("/")
    }

    /// The full path written into `out` (cleared first): [`PathTable::path`] without an
    /// allocation per call, for loops over every path of an image.
    pub fn path_into(&self, id: PathId, out: &mut String) {
        out.clear();
        let mut stack = [0u32; 64];
        let mut n = 0;
        let mut cur = id;
        while cur != PathId::ROOT {
            if n == stack.len() {
                *out = self.path(id); // deeper than any real tree: the allocating way
                return;
            }
            stack[n] = cur.0;
            n += 1;
            cur = PathId(self.nodes[cur.index()].parent);
        }
        for (k, &i) in stack[..n].iter().rev().enumerate() {
            if k > 0 {
                out.push('/');
            }
            out.push_str(self.name(PathId(i)));
        }
    }

    /// Number of components (0 for the root).
    pub fn depth(&self, id: PathId) -> usize {
        let mut d = 0;
        let mut cur = id;
        while cur != PathId::ROOT {
            d += 1;
            cur = PathId(self.nodes[cur.index()].parent);
        }
        d
    }

    /// Whether `ancestor` is `id` or one of its parents.
    pub fn is_within(&self, id: PathId, ancestor: PathId) -> bool {
        let mut cur = id;
        loop {
            if cur == ancestor {
                return true;
            }
            if cur == PathId::ROOT {
                return false;
            }
            cur = PathId(self.nodes[cur.index()].parent);
        }
    }

    /// Checks a table that came from outside (a snapshot file): names are slices of their
    /// bytes on character boundaries, every node's parent was made before it and its name
    /// exists, and no name or path is there twice. A table that passes cannot make a lookup or
    /// a path panic, and is one interning would have made (the root first, every path once):
    /// an image's tree starts from its first layer's table as it is ([`crate::ImageTree`]).
    pub fn validate(&self) -> Result<(), String> {
        let starts = &self.name_starts;
        if starts.first() != Some(&0) {
            return Err("the names do not start at 0".into());
        }
        for w in starts.windows(2) {
            if w[0] > w[1] {
                return Err("name offsets go backwards".into());
            }
        }
        for &o in starts {
            if !self.name_bytes.is_char_boundary(o as usize) {
                return Err("a name offset is outside the names or inside a character".into());
            }
        }
        if self.nodes.is_empty() {
            return Err("no root".into());
        }
        let names = starts.len() - 1;
        for (i, n) in self.nodes.iter().enumerate() {
            if n.name as usize >= names {
                return Err(format!("path {i} has no name"));
            }
            if i > 0 && n.parent as usize >= i {
                return Err(format!("path {i}'s parent comes after it"));
            }
        }
        if self.nodes[0] != (Node { parent: 0, name: 0 }) || !self.name_str(0).is_empty() {
            return Err("the root is not the first path".into());
        }
        let mut seen = std::collections::HashSet::with_capacity(names);
        if let Some(i) = (0..names as u32).find(|&i| !seen.insert(self.name_str(i))) {
            return Err(format!("name {i} is there twice"));
        }
        let mut seen = std::collections::HashSet::with_capacity(self.nodes.len());
        if let Some(i) = (1..self.nodes.len()).find(|&i| !seen.insert(self.nodes[i])) {
            return Err(format!("path {i} is there twice"));
        }
        Ok(())
    }

    /// All ids, in creation order (parents before children).
    pub fn ids(&self) -> impl Iterator<Item = PathId> {
        (0..self.nodes.len() as u32).map(PathId)
    }
}

/// Normalises a path from a layer tar: drops leading `/` and `./`, `.` components, repeated
/// and trailing slashes. `None` when a `..` component would leave the root or the path is the
/// root itself.
pub fn normalise_layer_path(raw: &str) -> Result<Option<String>, &'static str> {
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("it climbs out of the root with `..`");
                }
                // `a/../b` stays inside, but no real tool writes it: keep it, normalised.
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_finds_paths() {
        let mut t = PathTable::new();
        let a = t.intern("usr/bin/env");
        let b = t.intern("usr/bin/env");
        assert_eq!(a, b);
        let c = t.intern("usr/lib");
        assert_eq!(t.path(a), "usr/bin/env");
        assert_eq!(t.name(c), "lib");
        assert_eq!(t.parent(c), t.lookup("usr"));
        assert_eq!(t.lookup("usr/bin/nope"), None);
        assert!(t.is_within(a, t.lookup("usr").unwrap()));
        assert!(!t.is_within(c, t.lookup("usr/bin").unwrap()));
        assert_eq!(t.depth(a), 3);
        assert_eq!(t.path(PathId::ROOT), "");
        let mut buf = String::from("left over");
        t.path_into(PathId::ROOT, &mut buf);
        assert_eq!(buf, "");
        let deep = (0..100)
            .map(|i| format!("d{i}"))
            .collect::<Vec<_>>()
            .join("/");
        let id = t.intern(&deep);
        t.path_into(id, &mut buf);
        assert_eq!(buf, deep);
    }

    #[test]
    fn many_paths_grow_the_tables() {
        let mut t = PathTable::new();
        let ids: Vec<PathId> = (0..50_000)
            .map(|i| t.intern(&format!("d{}/f{i}", i % 100)))
            .collect();
        let mut buf = String::from("left over");
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(t.path(*id), format!("d{}/f{i}", i % 100));
            t.path_into(*id, &mut buf);
            assert_eq!(buf, t.path(*id));
            assert_eq!(t.lookup(&format!("d{}/f{i}", i % 100)), Some(*id));
        }
        assert_eq!(t.len(), 1 + 100 + 50_000);
        let copy: PathTable = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        // Without its lookups a table builds them when first asked, or when it grows.
        assert!(copy.lookups.get().is_none());
        let mut grown = copy.clone();
        assert_eq!(copy.lookup("d7/f107"), t.lookup("d7/f107"));
        assert!(copy.lookups.get().is_some());
        assert_eq!(copy.lookup("d7/nope"), None);
        assert_eq!(grown.intern("d7/f107"), t.lookup("d7/f107").unwrap());
        assert_eq!(grown.intern("d7/new").index(), t.len());
        assert_eq!(grown.lookup("d7/new").map(PathId::index), Some(t.len()));
        assert_eq!(grown.clone().lookup("d9/f109"), t.lookup("d9/f109"));
    }

    #[test]
    fn a_table_from_outside_with_a_path_or_name_twice_is_refused() {
        let mut t = PathTable::new();
        t.intern("usr/bin/env");
        t.intern("usr/lib");
        assert_eq!(t.validate(), Ok(()));
        // The same (parent, name) twice: interning would have made one path.
        let mut twice = t.clone();
        twice.nodes.push(twice.nodes[2]);
        assert_eq!(twice.validate(), Err("path 5 is there twice".into()));
        // The same name twice under two numbers.
        let mut twice = t.clone();
        twice.name_bytes.push_str("lib");
        twice.name_starts.push(twice.name_bytes.len() as u32);
        assert_eq!(twice.validate(), Err("name 5 is there twice".into()));
        // A root that is not the first path.
        let mut rootless = t.clone();
        rootless.nodes[0].name = 1;
        assert_eq!(
            rootless.validate(),
            Err("the root is not the first path".into())
        );
    }

    #[test]
    fn normalises_layer_paths() {
        assert_eq!(
            normalise_layer_path("./usr//bin/"),
            Ok(Some("usr/bin".into()))
        );
        assert_eq!(
            normalise_layer_path("/etc/passwd"),
            Ok(Some("etc/passwd".into()))
        );
        assert_eq!(normalise_layer_path("./"), Ok(None));
        assert_eq!(normalise_layer_path("a/./b/../c"), Ok(Some("a/c".into())));
        assert!(normalise_layer_path("../../etc/passwd").is_err());
        assert!(normalise_layer_path("a/../../x").is_err());
    }
}
