//! A read-only reader of SQLite's file format (sqlite.org/fileformat2.html), as much as rpmdb
//! needs: the 100-byte header, table b-tree pages (interior 0x05, leaf 0x0d), cells with
//! overflow chains, and records (serial types). rpm ≥ 4.16 keeps its headers in
//! `rpmdb.sqlite`, table `Packages (hnum INTEGER PRIMARY KEY, blob BLOB)`: the reader finds the
//! table's root page in `sqlite_schema` (page 1) and walks it in rowid order.
//!
//! Chosen over a crate by trying: rusqlite with its bundled SQLite does not build for
//! `wasm32-unknown-unknown` (`cargo check --target wasm32-unknown-unknown` stops in
//! libsqlite3-sys's build script: SQLite's C needs a C toolchain and a libc for the target),
//! and a pure-Rust SQL engine brings a parser and a virtual machine for what is one table
//! scan. This reader is ~300 lines with no dependency.
//!
//! Every page number, offset and length is checked; a page visited twice (a cycle) or a tree
//! deeper than 64 stops the walk with an error. Changes still in a `-wal` file are not seen
//! (rpm checkpoints on close, so a built image has none).

/// A column value of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

/// What [`Db::scan_table`] calls with each row: its rowid and its record's bytes.
pub type RowFn<'a> = dyn FnMut(i64, &[u8]) -> Result<(), String> + 'a;

/// An open database: its bytes and page geometry.
pub struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    usable: usize,
    n_pages: usize,
}

const MAX_DEPTH: usize = 64;

impl<'a> Db<'a> {
    pub fn open(bytes: &'a [u8]) -> Result<Db<'a>, String> {
        if bytes.len() < 100 || &bytes[..16] != b"SQLite format 3\0" {
            return Err("not an SQLite 3 database (no `SQLite format 3` header)".into());
        }
        let raw = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
        let page_size = if raw == 1 { 65536 } else { raw };
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(format!("page size {page_size} is not one SQLite writes"));
        }
        let reserved = bytes[20] as usize;
        let usable = page_size - reserved;
        if usable < 480 {
            return Err(format!(
                "usable page size {usable} is below SQLite's minimum of 480"
            ));
        }
        Ok(Db {
            bytes,
            page_size,
            usable,
            n_pages: bytes.len() / page_size,
        })
    }

    fn page(&self, n: u32) -> Result<&'a [u8], String> {
        let n = n as usize;
        if n == 0 || n > self.n_pages {
            return Err(format!(
                "page {n} is outside the file's {} pages",
                self.n_pages
            ));
        }
        Ok(&self.bytes[(n - 1) * self.page_size..n * self.page_size])
    }

    /// The root page of table `name`, from `sqlite_schema`.
    pub fn table_root(&self, name: &str) -> Result<u32, String> {
        let mut root = None;
        self.scan_table(1, usize::MAX, &mut |_, rec| {
            let cols = record(rec)?;
            let text = |i: usize| match cols.get(i) {
                Some(Value::Text(t)) => Some(*t),
                _ => None,
            };
            if text(0) == Some(b"table")
                && text(1).is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
                && let Some(Value::Int(r)) = cols.get(3)
            {
                root = u32::try_from(*r).ok();
            }
            Ok(())
        })?;
        root.ok_or_else(|| format!("the database has no table `{name}`"))
    }

    /// Calls `row(rowid, record bytes)` for every row of the table whose b-tree starts at
    /// `root`, in rowid order; at most `max_rows`.
    pub fn scan_table(
        &self,
        root: u32,
        max_rows: usize,
        row: &mut RowFn<'_>,
    ) -> Result<usize, String> {
        let mut seen = vec![false; self.n_pages + 1];
        // (page, next cell to visit); interior pages are revisited for each child.
        let mut stack: Vec<(u32, usize)> = vec![(root, 0)];
        let mut rows = 0usize;
        let mut payload = Vec::new();
        while let Some((pno, cell)) = stack.pop() {
            let page = self.page(pno)?;
            let hdr = if pno == 1 { 100 } else { 0 };
            let kind = page[hdr];
            let n_cells = u16::from_be_bytes([page[hdr + 3], page[hdr + 4]]) as usize;
            if cell == 0 {
                if std::mem::replace(&mut seen[pno as usize], true) {
                    return Err(format!(
                        "page {pno} is reached twice: the b-tree has a cycle"
                    ));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("the b-tree is deeper than {MAX_DEPTH} pages"));
                }
            }
            let ptrs = hdr + if kind == 0x05 { 12 } else { 8 };
            let cell_at = |i: usize| -> Result<usize, String> {
                let at = page
                    .get(ptrs + 2 * i..ptrs + 2 * i + 2)
                    .ok_or_else(|| format!("page {pno}'s cell pointers run off the page"))?;
                let off = u16::from_be_bytes([at[0], at[1]]) as usize;
                if off >= self.usable {
                    return Err(format!("page {pno}'s cell {i} is outside the page"));
                }
                Ok(off)
            };
            match kind {
                0x05 => {
                    if cell < n_cells {
                        let off = cell_at(cell)?;
                        let child = be32(page, off)
                            .ok_or_else(|| format!("page {pno}'s cell {cell} is truncated"))?;
                        stack.push((pno, cell + 1));
                        stack.push((child, 0));
                    } else if cell == n_cells {
                        let right = be32(page, hdr + 8).ok_or("truncated page header")?;
                        stack.push((right, 0));
                    }
                }
                0x0d => {
                    for i in 0..n_cells {
                        if rows >= max_rows {
                            return Ok(rows);
                        }
                        let off = cell_at(i)?;
                        let (size, a) = varint(page, off)
                            .ok_or_else(|| format!("page {pno}'s cell {i} is truncated"))?;
                        let (rowid, b) = varint(page, off + a)
                            .ok_or_else(|| format!("page {pno}'s cell {i} is truncated"))?;
                        self.payload(page, off + a + b, size, &mut payload)
                            .map_err(|e| format!("page {pno}, cell {i}: {e}"))?;
                        row(rowid as i64, &payload)?;
                        rows += 1;
                    }
                }
                k => {
                    return Err(format!(
                        "page {pno} is of type {k:#04x}, not a table b-tree page"
                    ));
                }
            }
        }
        Ok(rows)
    }

    /// A cell's payload of `size` bytes starting at `at` in `page`, following overflow pages.
    fn payload(&self, page: &[u8], at: usize, size: u64, out: &mut Vec<u8>) -> Result<(), String> {
        out.clear();
        let size = usize::try_from(size).map_err(|_| "a payload too large".to_owned())?;
        if size > self.bytes.len() {
            return Err(format!("a payload of {size} bytes, larger than the file"));
        }
        let u = self.usable;
        let x = u - 35;
        let local = if size <= x {
            size
        } else {
            let m = ((u - 12) * 32 / 255) - 23;
            let k = m + ((size - m) % (u - 4));
            if k <= x { k } else { m }
        };
        let here = page
            .get(at..at + local)
            .ok_or("the payload runs off its page")?;
        out.extend_from_slice(here);
        if local == size {
            return Ok(());
        }
        let mut next = be32(page, at + local).ok_or("the overflow pointer runs off the page")?;
        let mut hops = 0usize;
        while out.len() < size {
            hops += 1;
            if next == 0 || hops > self.n_pages {
                return Err("the overflow chain ends early or loops".into());
            }
            let p = self.page(next)?;
            let take = (size - out.len()).min(u - 4);
            out.extend_from_slice(&p[4..4 + take]);
            next = be32(p, 0).unwrap_or(0);
        }
        Ok(())
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// SQLite's varint: 1–9 bytes, big-endian 7-bit groups, the ninth byte whole.
fn varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..9 {
        let c = *b.get(at + i)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(c), 9));
        }
        v = (v << 7) | u64::from(c & 0x7f);
        if c & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The columns of a record.
pub fn record(rec: &[u8]) -> Result<Vec<Value<'_>>, String> {
    let (hlen, mut at) = varint(rec, 0).ok_or("a record without a header")?;
    let hlen = usize::try_from(hlen).map_err(|_| "a record header too long".to_owned())?;
    if hlen > rec.len() {
        return Err("a record header longer than the record".into());
    }
    let mut body = hlen;
    let mut out = Vec::new();
    while at < hlen {
        let (t, n) = varint(rec, at).ok_or("a truncated record header")?;
        at += n;
        let take = |len: usize| -> Result<&[u8], String> {
            rec.get(body..body + len)
                .ok_or_else(|| "a record shorter than its header says".to_owned())
        };
        let int = |len: usize| -> Result<i64, String> {
            let b = take(len)?;
            let mut v = if b[0] & 0x80 != 0 { -1i64 } else { 0 };
            for &c in b {
                v = (v << 8) | i64::from(c);
            }
            Ok(v)
        };
        let (v, len) = match t {
            0 => (Value::Null, 0),
            1..=4 => (Value::Int(int(t as usize)?), t as usize),
            5 => (Value::Int(int(6)?), 6),
            6 => (Value::Int(int(8)?), 8),
            7 => (Value::Real(f64::from_bits(int(8)? as u64)), 8),
            8 => (Value::Int(0), 0),
            9 => (Value::Int(1), 0),
            10 | 11 => return Err(format!("serial type {t} is reserved")),
            t => {
                let len =
                    usize::try_from((t - 12) / 2).map_err(|_| "a value too large".to_owned())?;
                let b = take(len)?;
                (
                    if t % 2 == 0 {
                        Value::Blob(b)
                    } else {
                        Value::Text(b)
                    },
                    len,
                )
            }
        };
        body += len;
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Builds a one-table database by hand: page 1 the schema, then the table's leaf pages
    /// under one interior page, with overflow pages for blobs too big for their leaf. Only
    /// what the reader reads is filled in; the layout follows fileformat2.html.
    pub fn build(table: &str, rows: &[Vec<u8>], page_size: usize) -> Vec<u8> {
        fn put_varint(out: &mut Vec<u8>, mut v: u64) {
            let mut tmp = Vec::new();
            tmp.push((v & 0x7f) as u8);
            v >>= 7;
            while v > 0 {
                tmp.push((v & 0x7f) as u8 | 0x80);
                v >>= 7;
            }
            tmp.reverse();
            out.extend(tmp);
        }
        fn rec(cols: &[Option<&[u8]>], text: &[bool]) -> Vec<u8> {
            let mut hdr = Vec::new();
            let mut body = Vec::new();
            for (c, is_text) in cols.iter().zip(text) {
                match c {
                    None => hdr.push(0),
                    Some(b) => {
                        put_varint(
                            &mut hdr,
                            b.len() as u64 * 2 + if *is_text { 13 } else { 12 },
                        );
                        body.extend_from_slice(b);
                    }
                }
            }
            let mut out = Vec::new();
            put_varint(&mut out, hdr.len() as u64 + 1);
            out.extend(hdr);
            out.extend(body);
            out
        }
        let u = page_size;
        let mut pages: Vec<Vec<u8>> = vec![vec![0; page_size]]; // page 1
        // The table: an interior page (page 2) over leaf pages, one row per leaf.
        pages.push(vec![0; page_size]);
        let mut leaves = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let payload = rec(&[None, Some(r)], &[false, false]);
            let leaf_no = pages.len() + 1;
            pages.push(vec![0; page_size]);
            leaves.push((leaf_no, i as u64 + 1));
            let x = u - 35;
            let local = if payload.len() <= x {
                payload.len()
            } else {
                let m = ((u - 12) * 32 / 255) - 23;
                let k = m + ((payload.len() - m) % (u - 4));
                if k <= x { k } else { m }
            };
            let mut cell = Vec::new();
            put_varint(&mut cell, payload.len() as u64);
            put_varint(&mut cell, i as u64 + 1);
            cell.extend_from_slice(&payload[..local]);
            let mut rest = &payload[local..];
            if !rest.is_empty() {
                cell.extend_from_slice(&(pages.len() as u32 + 1).to_be_bytes());
                while !rest.is_empty() {
                    let take = rest.len().min(u - 4);
                    let mut p = vec![0; page_size];
                    let next = if rest.len() > take {
                        pages.len() as u32 + 2
                    } else {
                        0
                    };
                    p[..4].copy_from_slice(&next.to_be_bytes());
                    p[4..4 + take].copy_from_slice(&rest[..take]);
                    pages.push(p);
                    rest = &rest[take..];
                }
            }
            let leaf = &mut pages[leaf_no - 1];
            let off = page_size - cell.len();
            leaf[off..].copy_from_slice(&cell);
            leaf[0] = 0x0d;
            leaf[3..5].copy_from_slice(&1u16.to_be_bytes());
            leaf[8..10].copy_from_slice(&(off as u16).to_be_bytes());
        }
        // Interior page 2: all leaves but the last as cells, the last as the right pointer.
        {
            let (last, rest) = leaves.split_last().map_or((0, &[][..]), |(l, r)| (l.0, r));
            let p = &mut pages[1];
            // An empty table is an empty leaf.
            p[0] = if leaves.is_empty() { 0x0d } else { 0x05 };
            p[3..5].copy_from_slice(&(rest.len() as u16).to_be_bytes());
            p[8..12].copy_from_slice(&(last as u32).to_be_bytes());
            let mut end = page_size;
            for (i, (leaf, rowid)) in rest.iter().enumerate() {
                let mut cell = (*leaf as u32).to_be_bytes().to_vec();
                put_varint(&mut cell, *rowid);
                end -= cell.len();
                p[end..end + cell.len()].copy_from_slice(&cell);
                p[12 + 2 * i..14 + 2 * i].copy_from_slice(&(end as u16).to_be_bytes());
            }
        }
        // Page 1: the header, and the schema's one row naming the table with root page 2.
        let schema = {
            let mut r = Vec::new();
            // type, name, tbl_name, rootpage (1-byte int), sql
            let sql = format!("CREATE TABLE {table} (hnum INTEGER PRIMARY KEY, blob BLOB)");
            let mut hdr = vec![];
            let mut body = vec![];
            for t in ["table", table, table] {
                put_varint(&mut hdr, t.len() as u64 * 2 + 13);
                body.extend_from_slice(t.as_bytes());
            }
            hdr.push(1);
            body.push(2);
            put_varint(&mut hdr, sql.len() as u64 * 2 + 13);
            body.extend_from_slice(sql.as_bytes());
            put_varint(&mut r, hdr.len() as u64 + 1);
            r.extend(hdr);
            r.extend(body);
            r
        };
        let p = &mut pages[0];
        p[..16].copy_from_slice(b"SQLite format 3\0");
        let ps = if page_size == 65536 {
            1
        } else {
            page_size as u16
        };
        p[16..18].copy_from_slice(&ps.to_be_bytes());
        let mut cell = Vec::new();
        put_varint(&mut cell, schema.len() as u64);
        put_varint(&mut cell, 1);
        cell.extend(schema);
        let off = page_size - cell.len();
        p[off..].copy_from_slice(&cell);
        p[100] = 0x0d;
        p[103..105].copy_from_slice(&1u16.to_be_bytes());
        p[108..110].copy_from_slice(&(off as u16).to_be_bytes());
        pages.concat()
    }

    #[track_caller]
    fn check(rows: &[Vec<u8>], page_size: usize) {
        let db = build("Packages", rows, page_size);
        let d = Db::open(&db).unwrap();
        let root = d.table_root("Packages").unwrap();
        let mut got = Vec::new();
        d.scan_table(root, usize::MAX, &mut |id, rec| {
            let cols = record(rec)?;
            match &cols[1] {
                Value::Blob(b) => got.push((id, b.to_vec())),
                v => panic!("{v:?}"),
            }
            Ok(())
        })
        .unwrap();
        let want: Vec<(i64, Vec<u8>)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i as i64 + 1, r.clone()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn tables() {
        check(&[], 4096);
        check(&[b"small".to_vec()], 4096);
        // Rows that overflow onto one and onto several pages.
        check(
            &[
                vec![7u8; 5000],
                b"x".to_vec(),
                (0..40_000u32).map(|i| i as u8).collect(),
            ],
            4096,
        );
        check(&[vec![1u8; 100_000]], 65536);
        check(&[vec![3u8; 600]], 512);
    }

    #[test]
    fn damage() {
        assert!(Db::open(b"not sqlite").is_err());
        let mut db = build("Packages", &[vec![1u8; 9000]], 4096);
        let d = Db::open(&db).unwrap();
        assert!(d.table_root("Other").unwrap_err().contains("no table"));
        // Make the interior page's right pointer point at itself: a cycle.
        db[4096 + 8..4096 + 12].copy_from_slice(&2u32.to_be_bytes());
        let d = Db::open(&db).unwrap();
        let err = d.scan_table(2, usize::MAX, &mut |_, _| Ok(())).unwrap_err();
        assert!(err.contains("twice"), "{err}");
        // A truncated file: the overflow pages are gone.
        let short = &build("Packages", &[vec![1u8; 9000]], 4096)[..4096 * 3];
        let d = Db::open(short).unwrap();
        assert!(d.scan_table(2, usize::MAX, &mut |_, _| Ok(())).is_err());
        assert!(record(&[5, 13, 13]).is_err());
    }
}
