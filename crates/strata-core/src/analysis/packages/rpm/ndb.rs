//! SUSE's ndb `Packages.db` (rpm's `lib/backend/ndb/rpmpkg.c`, SLES 15 and openSUSE), little
//! endian throughout: a 32-byte header (magic `RpmP`, version 0, generation, `slotnpages`, next
//! package index), then `slotnpages` pages of 4096 bytes of 16-byte slots (magic `Slot`,
//! package index, block offset, block count; a block is 16 bytes; offset 0 is a free slot),
//! each pointing at a blob: a 16-byte head (magic `BlbS`, package index, generation, length),
//! the RPM header, and a 12-byte tail (adler32 of head and data, length, magic `BlbE`).

const PAGE: usize = 4096;
const SLOT: usize = 16;
const BLK: usize = 16;
const HEAD_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_HEAD: u32 = u32::from_le_bytes(*b"BlbS");
const BLOB_TAIL: u32 = u32::from_le_bytes(*b"BlbE");

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The header blobs of a `Packages.db`, in slot order; at most `max`.
pub fn read_packages(db: &[u8], max: usize) -> Result<Vec<Vec<u8>>, String> {
    if le32(db, 0) != Some(HEAD_MAGIC) {
        return Err("not an ndb package database (no `RpmP` magic)".into());
    }
    let version = le32(db, 4).unwrap_or(u32::MAX);
    if version != 0 {
        return Err(format!("ndb version {version}, not 0"));
    }
    let slot_pages = le32(db, 12).unwrap_or(0) as usize;
    let slots_end = slot_pages
        .checked_mul(PAGE)
        .filter(|&e| e <= db.len())
        .ok_or_else(|| {
            format!(
                "{slot_pages} slot pages do not fit in the file's {} bytes",
                db.len()
            )
        })?;
    let mut out = Vec::new();
    for at in (32..slots_end).step_by(SLOT) {
        if le32(db, at) != Some(SLOT_MAGIC) {
            return Err(format!("the slot at {at} has no `Slot` magic"));
        }
        let pkgidx = le32(db, at + 4).unwrap_or(0);
        let blkoff = le32(db, at + 8).unwrap_or(0) as usize;
        let blkcnt = le32(db, at + 12).unwrap_or(0) as usize;
        if blkoff == 0 {
            continue; // a free slot
        }
        let start = blkoff * BLK;
        let end = blkoff
            .checked_add(blkcnt)
            .map(|e| e * BLK)
            .filter(|&e| e <= db.len() && start >= slots_end)
            .ok_or_else(|| {
                format!("package {pkgidx}'s blob (blocks {blkoff}+{blkcnt}) is outside the file")
            })?;
        let blob = &db[start..end];
        if le32(blob, 0) != Some(BLOB_HEAD) || le32(blob, 4) != Some(pkgidx) {
            return Err(format!("package {pkgidx}'s blob has no `BlbS` head for it"));
        }
        let len = le32(blob, 12).unwrap_or(0) as usize;
        if (16 + len + 12).div_ceil(BLK) != blkcnt {
            return Err(format!(
                "package {pkgidx}'s blob length {len} does not fill its {blkcnt} blocks"
            ));
        }
        let tail = &blob[blob.len() - 12..];
        if le32(tail, 4) != Some(len as u32) || le32(tail, 8) != Some(BLOB_TAIL) {
            return Err(format!("package {pkgidx}'s blob has no `BlbE` tail"));
        }
        // The checksum covers the head, the data and the padding.
        if le32(tail, 0) != Some(adler32(&blob[..blob.len() - 12])) {
            return Err(format!("package {pkgidx}'s blob fails its adler32 check"));
        }
        out.push(blob[16..16 + len].to_vec());
        if out.len() > max {
            return Err(format!("more than {max} packages"));
        }
    }
    Ok(out)
}

/// RFC 1950's adler32.
pub fn adler32(b: &[u8]) -> u32 {
    let (mut s1, mut s2) = (1u32, 0u32);
    for chunk in b.chunks(5552) {
        for &c in chunk {
            s1 += u32::from(c);
            s2 += s1;
        }
        s1 %= 65521;
        s2 %= 65521;
    }
    (s2 << 16) | s1
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A database laid out as `rpmpkg.c` writes one: what the fixture script writes in Python.
    pub fn build(values: &[Vec<u8>]) -> Vec<u8> {
        let mut db = vec![0u8; PAGE];
        db[..4].copy_from_slice(b"RpmP");
        db[12..16].copy_from_slice(&1u32.to_le_bytes());
        db[16..20].copy_from_slice(&(values.len() as u32 + 1).to_le_bytes());
        for at in (32..PAGE).step_by(SLOT) {
            db[at..at + 4].copy_from_slice(b"Slot");
        }
        for (i, v) in values.iter().enumerate() {
            let blkoff = db.len() / BLK;
            let blkcnt = (16 + v.len() + 12).div_ceil(BLK);
            let mut blob = vec![0u8; blkcnt * BLK];
            blob[..4].copy_from_slice(b"BlbS");
            blob[4..8].copy_from_slice(&(i as u32 + 1).to_le_bytes());
            blob[12..16].copy_from_slice(&(v.len() as u32).to_le_bytes());
            blob[16..16 + v.len()].copy_from_slice(v);
            let n = blob.len();
            let adl = adler32(&blob[..n - 12]);
            blob[n - 12..n - 8].copy_from_slice(&adl.to_le_bytes());
            blob[n - 8..n - 4].copy_from_slice(&(v.len() as u32).to_le_bytes());
            blob[n - 4..].copy_from_slice(b"BlbE");
            let slot = 32 + i * SLOT;
            db[slot + 4..slot + 8].copy_from_slice(&(i as u32 + 1).to_le_bytes());
            db[slot + 8..slot + 12].copy_from_slice(&(blkoff as u32).to_le_bytes());
            db[slot + 12..slot + 16].copy_from_slice(&(blkcnt as u32).to_le_bytes());
            db.extend(blob);
        }
        db
    }

    #[test]
    fn databases() {
        for values in [
            vec![],
            vec![b"a".to_vec()],
            vec![vec![1u8; 9999], b"bc".to_vec()],
        ] {
            assert_eq!(read_packages(&build(&values), 10).unwrap(), values);
        }
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn damage() {
        assert!(read_packages(b"nope", 10).is_err());
        let mut db = build(&[b"abc".to_vec()]);
        let n = db.len();
        db[n - 16] ^= 1; // a data byte: the checksum fails
        assert!(read_packages(&db, 10).unwrap_err().contains("adler32"));
        let db = build(&[b"abc".to_vec()]);
        assert!(read_packages(&db[..PAGE + 8], 10).is_err());
        assert!(read_packages(&build(&[b"a".to_vec(), b"b".to_vec()]), 1).is_err());
    }
}
