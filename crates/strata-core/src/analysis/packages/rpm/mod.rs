//! RPM distributions: the three databases rpm has kept its installed headers in —
//! `rpmdb.sqlite` ([`sqlite`], rpm ≥ 4.16: Fedora 33+, RHEL 9), Berkeley DB `Packages`
//! ([`bdb`], older RHEL and CentOS) and ndb `Packages.db` ([`ndb`], SUSE) — each holding RPM
//! headers ([`header`]) with the package's name, version, license and file list. rpm 4.16+
//! also looks under `usr/lib/sysimage/rpm/` (Fedora 36+ keep the database there, with
//! `var/lib/rpm` a symlink to it).

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

use super::model::Package;

/// Which database a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpmDb {
    Sqlite,
    Bdb,
    Ndb,
}

pub fn classify(path: &str) -> Option<RpmDb> {
    let (dir, name) = path.rsplit_once('/')?;
    if dir != "var/lib/rpm" && dir != "usr/lib/sysimage/rpm" {
        return None;
    }
    match name {
        "rpmdb.sqlite" => Some(RpmDb::Sqlite),
        "Packages" => Some(RpmDb::Bdb),
        "Packages.db" => Some(RpmDb::Ndb),
        _ => None,
    }
}

/// The packages of a database file, at most `max`, each with at most `max_files` files. A
/// header that does not parse is skipped and counted in the second value.
pub fn read(
    kind: RpmDb,
    bytes: &[u8],
    max: usize,
    max_files: usize,
) -> Result<(Vec<Package>, Vec<String>), String> {
    let blobs = match kind {
        RpmDb::Sqlite => {
            let db = sqlite::Db::open(bytes)?;
            let root = db.table_root("Packages")?;
            let mut blobs = Vec::new();
            db.scan_table(root, max.saturating_add(1), &mut |_, rec| {
                let cols = sqlite::record(rec)?;
                if let Some(sqlite::Value::Blob(b)) = cols.get(1) {
                    blobs.push(b.to_vec());
                }
                Ok(())
            })?;
            if blobs.len() > max {
                return Err(format!("more than {max} packages"));
            }
            blobs
        }
        RpmDb::Bdb => bdb::read_packages(bytes, max)?,
        RpmDb::Ndb => ndb::read_packages(bytes, max)?,
    };
    let mut out = Vec::with_capacity(blobs.len());
    let mut problems = Vec::new();
    for (i, b) in blobs.iter().enumerate() {
        match header::parse_header(b, max_files) {
            // rpm's public keys are headers too (`gpg-pubkey`), not installed packages.
            Ok(p) if p.name == "gpg-pubkey" => {}
            Ok(p) => out.push(p),
            Err(e) => problems.push(format!("header {}: {e}", i + 1)),
        }
    }
    Ok((out, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(kind: RpmDb, bytes: &[u8], names: &[&str]) {
        let (got, problems) = read(kind, bytes, 100, 100).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            got.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            names
        );
    }

    #[test]
    fn every_database() {
        let headers = vec![
            header::sample_header("bash", "5.2", &[("/usr/bin/", "bash")]),
            header::sample_header("gpg-pubkey", "1", &[]),
            header::sample_header("zlib", "1.3", &[("/usr/lib64/", "libz.so.1")]),
        ];
        check(
            RpmDb::Sqlite,
            &sqlite::tests::build("Packages", &headers, 4096),
            &["bash", "zlib"],
        );
        check(
            RpmDb::Bdb,
            &bdb::tests::build(&headers, 4096, false),
            &["bash", "zlib"],
        );
        check(RpmDb::Ndb, &ndb::tests::build(&headers), &["bash", "zlib"]);
        assert_eq!(
            classify("usr/lib/sysimage/rpm/rpmdb.sqlite"),
            Some(RpmDb::Sqlite)
        );
        assert_eq!(classify("var/lib/rpm/Packages"), Some(RpmDb::Bdb));
        assert_eq!(classify("var/lib/rpm/Packages.db"), Some(RpmDb::Ndb));
        assert_eq!(classify("var/lib/rpm/Name"), None);
    }
}
