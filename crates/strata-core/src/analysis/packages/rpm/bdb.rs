//! rpm's Berkeley DB `Packages` (rpm < 4.16: CentOS 7/8, RHEL 7/8, older Fedora), a hash
//! database read the way rpm's own read-only backend (`lib/backend/bdb_ro.c`) reads it: the
//! metadata page (magic 0x061561, version 8–10, page size, last page, `max_bucket`, the
//! `spares` that map a bucket to its page), then every bucket's chain of hash pages (type 2, 8
//! or 13), each holding key/value pairs (`H_KEYDATA` inline or `H_OFFPAGE` in a chain of
//! overflow pages, type 7). The values are RPM headers. Either byte order (the magic tells).

/// The header blobs of a `Packages` file; at most `max`.
pub fn read_packages(db: &[u8], max: usize) -> Result<Vec<Vec<u8>>, String> {
    let meta = db
        .get(..512)
        .ok_or("shorter than a Berkeley DB metadata page")?;
    let magic_le = u32::from_le_bytes([meta[12], meta[13], meta[14], meta[15]]);
    let swapped = match magic_le {
        0x0006_1561 => false,
        0x6115_0600 => true,
        0x0005_3162 | 0x6231_0500 => {
            return Err(
                "a Berkeley DB b-tree, not the hash database rpm keeps its headers in".into(),
            );
        }
        _ => return Err("not a Berkeley DB hash database (bad magic)".into()),
    };
    let u32_at = |b: &[u8], at: usize| -> Option<u32> {
        let v = b.get(at..at + 4)?;
        let v = [v[0], v[1], v[2], v[3]];
        Some(if swapped {
            u32::from_be_bytes(v)
        } else {
            u32::from_le_bytes(v)
        })
    };
    let u16_at = |b: &[u8], at: usize| -> Option<u16> {
        let v = b.get(at..at + 2)?;
        Some(if swapped {
            u16::from_be_bytes([v[0], v[1]])
        } else {
            u16::from_le_bytes([v[0], v[1]])
        })
    };
    let version = u32_at(meta, 16).unwrap_or(0);
    if !(8..=10).contains(&version) {
        return Err(format!("hash database version {version}, not 8 to 10"));
    }
    let page_size = u32_at(meta, 20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!(
            "page size {page_size} is not one Berkeley DB writes"
        ));
    }
    let last_page = u32_at(meta, 32).unwrap_or(0) as usize;
    let n_pages = db.len() / page_size;
    if last_page >= n_pages {
        return Err(format!(
            "the metadata says {} pages but the file has {n_pages}",
            last_page + 1
        ));
    }
    let max_bucket = u32_at(meta, 72).unwrap_or(0);
    let spares: Vec<u32> = (0..32)
        .map(|i| u32_at(meta, 96 + 4 * i).unwrap_or(0))
        .collect();
    let page = |n: u32| -> Result<&[u8], String> {
        let n = n as usize;
        if n == 0 || n > last_page {
            return Err(format!(
                "page {n} is outside the database's {} pages",
                last_page + 1
            ));
        }
        let p = &db[n * page_size..(n + 1) * page_size];
        if u32_at(p, 8) != Some(n as u32) {
            return Err(format!("page {n} does not carry its own number"));
        }
        Ok(p)
    };
    let bucket_page = |bucket: u32| -> u32 {
        let bits = 32 - bucket.leading_zeros() as usize;
        bucket.wrapping_add(spares[bits.min(31)])
    };
    let mut out = Vec::new();
    let mut visited = vec![false; last_page + 1];
    if u64::from(max_bucket) > last_page as u64 {
        return Err(format!("{max_bucket} buckets in {} pages", last_page + 1));
    }
    for bucket in 0..=max_bucket {
        let mut pno = bucket_page(bucket);
        while pno != 0 {
            if std::mem::replace(
                visited
                    .get_mut(pno as usize)
                    .ok_or_else(|| format!("page {pno} is outside the database"))?,
                true,
            ) {
                return Err(format!("page {pno} is reached twice: a cycle"));
            }
            let p = page(pno)?;
            let ty = p[25];
            if !matches!(ty, 2 | 8 | 13) {
                return Err(format!(
                    "bucket {bucket} leads to page {pno} of type {ty}, not a hash page"
                ));
            }
            let n = u16_at(p, 20).unwrap_or(0) as usize;
            if n > (page_size - 26) / 2 {
                return Err(format!("page {pno} claims {n} entries"));
            }
            let offset = |i: usize| u16_at(p, 26 + 2 * i).map(usize::from);
            for i in (0..n.saturating_sub(1)).step_by(2) {
                let (Some(koff), Some(voff)) = (offset(i), offset(i + 1)) else {
                    break;
                };
                let kend = if i == 0 {
                    page_size
                } else {
                    offset(i - 1).unwrap_or(page_size)
                };
                if koff >= page_size || voff >= koff || kend < koff {
                    return Err(format!("page {pno}'s entry {i} is outside its page"));
                }
                let item = &p[voff..koff];
                match item[0] {
                    1 => out.push(item[1..].to_vec()),
                    3 => {
                        let pg = u32_at(item, 4).ok_or("a truncated off-page entry")?;
                        let len = u32_at(item, 8).ok_or("a truncated off-page entry")? as usize;
                        out.push(overflow(
                            db, page_size, last_page, pg, len, &u32_at, &u16_at,
                        )?);
                    }
                    t => {
                        return Err(format!(
                            "page {pno}'s entry {i} is of type {t}, which rpm does not write"
                        ));
                    }
                }
                if out.len() > max {
                    return Err(format!("more than {max} packages"));
                }
            }
            pno = u32_at(p, 16).unwrap_or(0);
        }
    }
    Ok(out)
}

/// The value in a chain of overflow pages.
fn overflow(
    db: &[u8],
    page_size: usize,
    last_page: usize,
    mut pno: u32,
    len: usize,
    u32_at: &dyn Fn(&[u8], usize) -> Option<u32>,
    u16_at: &dyn Fn(&[u8], usize) -> Option<u16>,
) -> Result<Vec<u8>, String> {
    if len == 0 || len > db.len() {
        return Err(format!("an off-page value of {len} bytes"));
    }
    let mut v = Vec::with_capacity(len);
    let mut hops = 0;
    while v.len() < len {
        hops += 1;
        if pno == 0 || pno as usize > last_page || hops > last_page {
            return Err("an overflow chain that ends early or loops".into());
        }
        let p = &db[pno as usize * page_size..(pno as usize + 1) * page_size];
        if p[25] != 7 {
            return Err(format!(
                "page {pno} should be an overflow page but is of type {}",
                p[25]
            ));
        }
        let plen = u16_at(p, 22).unwrap_or(0) as usize;
        if plen + 26 > page_size || plen > len - v.len() {
            return Err(format!(
                "overflow page {pno} holds {plen} bytes, more than fit"
            ));
        }
        v.extend_from_slice(&p[26..26 + plen]);
        pno = u32_at(p, 16).unwrap_or(0);
    }
    Ok(v)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A hash database laid out as Berkeley DB 5 does (db_page.h, hash.h): what
    /// `scripts/package-fixtures.sh` writes in Python for rpm's bdb_ro to check, in Rust for
    /// the unit tests. One bucket; the key is the 4-byte header number, the value off-page.
    pub fn build(values: &[Vec<u8>], page_size: usize, big_endian: bool) -> Vec<u8> {
        let w32 = |p: &mut [u8], at: usize, v: u32| {
            p[at..at + 4].copy_from_slice(&if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        };
        let w16 = |p: &mut [u8], at: usize, v: u16| {
            p[at..at + 2].copy_from_slice(&if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        };
        let mut pages: Vec<Vec<u8>> = vec![vec![0; page_size], vec![0; page_size]];
        let mut items: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let first = pages.len() as u32;
            for (k, chunk) in v.chunks(page_size - 26).enumerate() {
                let mut p = vec![0; page_size];
                let no = pages.len() as u32;
                w32(&mut p, 8, no);
                let next = if (k + 1) * (page_size - 26) < v.len() {
                    no + 1
                } else {
                    0
                };
                w32(&mut p, 16, next);
                w16(&mut p, 22, chunk.len() as u16);
                p[25] = 7;
                p[26..26 + chunk.len()].copy_from_slice(chunk);
                pages.push(p);
            }
            let mut key = vec![1u8];
            key.extend_from_slice(&(i as u32 + 1).to_le_bytes());
            let mut val = vec![3u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            w32(&mut val, 4, first);
            w32(&mut val, 8, v.len() as u32);
            items.push((key, val));
        }
        // Bucket page 1.
        let n_pages = pages.len();
        {
            let p = &mut pages[1];
            w32(p, 8, 1);
            p[25] = 13;
            w16(p, 20, (items.len() * 2) as u16);
            let mut end = page_size;
            for (i, (k, v)) in items.iter().enumerate() {
                end -= k.len();
                p[end..end + k.len()].copy_from_slice(k);
                w16(p, 26 + 4 * i, end as u16);
                end -= v.len();
                p[end..end + v.len()].copy_from_slice(v);
                w16(p, 28 + 4 * i, end as u16);
            }
            w16(p, 22, end as u16);
        }
        let m = &mut pages[0];
        w32(m, 12, 0x0006_1561);
        w32(m, 16, 9);
        w32(m, 20, page_size as u32);
        m[25] = 8;
        w32(m, 32, n_pages as u32 - 1);
        w32(m, 72, 0); // max_bucket
        w32(m, 96, 1); // spares[0]: bucket 0 is page 1
        pages.concat()
    }

    #[track_caller]
    fn check(values: &[Vec<u8>], page_size: usize, big_endian: bool) {
        let db = build(values, page_size, big_endian);
        assert_eq!(read_packages(&db, 100).unwrap(), values);
    }

    #[test]
    fn databases() {
        check(&[], 4096, false);
        check(&[b"one".to_vec()], 4096, false);
        check(&[vec![9u8; 10_000], b"two".to_vec()], 4096, false);
        check(&[vec![5u8; 3000]], 1024, true);
    }

    #[test]
    fn damage() {
        assert!(read_packages(&[0u8; 100], 10).is_err());
        assert!(
            read_packages(&[0u8; 4096], 10)
                .unwrap_err()
                .contains("magic")
        );
        let mut db = build(&[vec![9u8; 10_000]], 4096, false);
        // The overflow chain points at itself.
        let p = 2 * 4096;
        db[p + 16..p + 20].copy_from_slice(&2u32.to_le_bytes());
        assert!(read_packages(&db, 10).is_err());
        let db = build(&[vec![9u8; 10]], 4096, false);
        assert!(read_packages(&db[..4096 * 2], 10).is_err());
    }
}
