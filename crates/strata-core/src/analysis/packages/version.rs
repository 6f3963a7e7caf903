//! Which of two versions is newer, as each package manager decides it, so a layer's change
//! reads "upgraded" or "downgraded": dpkg's `verrevcmp` (deb-version(7): epoch, then upstream
//! and revision compared in alternating non-digit and digit runs, `~` before anything), rpm's
//! `rpmvercmp` on epoch, version and release (alphanumeric segments, `~` and `^`). Other
//! ecosystems (apk, PEP 440, semver, Go) are compared with `rpmvercmp`'s segment rule, which
//! orders plain dotted numbers as they do; their pre-release spellings may order differently.

use super::model::Ecosystem;
use std::cmp::Ordering;

/// Compares two versions of a package of `ecosystem`.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Ordering {
    match ecosystem {
        Ecosystem::Deb => dpkg_compare(a, b),
        Ecosystem::Rpm => rpm_evr_compare(a, b),
        _ => rpmvercmp(a.trim_start_matches('v'), b.trim_start_matches('v')),
    }
}

/// deb-version(7): `[epoch:]upstream[-revision]`.
pub fn dpkg_compare(a: &str, b: &str) -> Ordering {
    let split = |v: &str| -> (u64, String, String) {
        let (epoch, rest) = match v.split_once(':') {
            Some((e, r)) if e.chars().all(|c| c.is_ascii_digit()) && !e.is_empty() => {
                (e.parse().unwrap_or(u64::MAX), r)
            }
            _ => (0, v),
        };
        let (up, rev) = rest.rsplit_once('-').unwrap_or((rest, ""));
        (epoch, up.to_owned(), rev.to_owned())
    };
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| verrevcmp(ua.as_bytes(), ub.as_bytes()))
        .then_with(|| verrevcmp(ra.as_bytes(), rb.as_bytes()))
}

fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp` (lib/dpkg/version.c), byte for byte.
fn verrevcmp(mut a: &[u8], mut b: &[u8]) -> Ordering {
    while !a.is_empty() || !b.is_empty() {
        let mut first_diff = 0i32;
        while a.first().is_some_and(|c| !c.is_ascii_digit())
            || b.first().is_some_and(|c| !c.is_ascii_digit())
        {
            let (ac, bc) = (order(a.first().copied()), order(b.first().copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            a = a.get(1..).unwrap_or(&[]);
            b = b.get(1..).unwrap_or(&[]);
        }
        while a.first() == Some(&b'0') {
            a = &a[1..];
        }
        while b.first() == Some(&b'0') {
            b = &b[1..];
        }
        while let (Some(x), Some(y)) = (a.first(), b.first()) {
            if !(x.is_ascii_digit() && y.is_ascii_digit()) {
                break;
            }
            if first_diff == 0 {
                first_diff = i32::from(*x) - i32::from(*y);
            }
            a = &a[1..];
            b = &b[1..];
        }
        if a.first().is_some_and(u8::is_ascii_digit) {
            return Ordering::Greater;
        }
        if b.first().is_some_and(u8::is_ascii_digit) {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

/// rpm's `[epoch:]version-release`, as `rpmVersionCompare` orders them (a missing epoch is 0).
pub fn rpm_evr_compare(a: &str, b: &str) -> Ordering {
    let split = |v: &str| -> (u64, String, String) {
        let (epoch, rest) = match v.split_once(':') {
            Some((e, r)) if e.chars().all(|c| c.is_ascii_digit()) && !e.is_empty() => {
                (e.parse().unwrap_or(u64::MAX), r)
            }
            _ => (0, v),
        };
        let (ver, rel) = rest.rsplit_once('-').unwrap_or((rest, ""));
        (epoch, ver.to_owned(), rel.to_owned())
    };
    let (ea, va, ra) = split(a);
    let (eb, vb, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| rpmvercmp(&va, &vb))
        .then_with(|| rpmvercmp(&ra, &rb))
}

/// rpm's `rpmvercmp` (rpmio/rpmvercmp.c).
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca.is_none() || cb.is_none() {
            break;
        }
        let (si, sj) = (i, j);
        let isnum = a[i].is_ascii_digit();
        let class = |c: u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        while i < a.len() && class(a[i]) {
            i += 1;
        }
        while j < b.len() && class(b[j]) {
            j += 1;
        }
        if j == sj {
            // Segments of different kinds: a number is newer than letters.
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut sa, mut sb) = (&a[si..i], &b[sj..j]);
        if isnum {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (false, _) => Ordering::Greater,
        _ => Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[track_caller]
    fn check(e: Ecosystem, a: &str, b: &str, want: Ordering) {
        assert_eq!(compare(e, a, b), want, "{a} vs {b}");
        assert_eq!(compare(e, b, a), want.reverse(), "{b} vs {a}");
    }

    #[test]
    fn dpkg() {
        // Cases from deb-version(7) and dpkg's own tests.
        check(Ecosystem::Deb, "1.0", "1.0", Equal);
        check(Ecosystem::Deb, "1.0~rc1", "1.0", Less);
        check(Ecosystem::Deb, "1:0.1", "2.0", Greater);
        check(Ecosystem::Deb, "1.0-1", "1.0-2", Less);
        check(Ecosystem::Deb, "1.0a", "1.0", Greater);
        check(Ecosystem::Deb, "1.0.1", "1.0a", Greater);
        check(Ecosystem::Deb, "2.36-9+deb12u4", "2.36-9+deb12u10", Less);
        check(Ecosystem::Deb, "1.001", "1.1", Equal);
        check(Ecosystem::Deb, "1.0+dfsg", "1.0", Greater);
    }

    #[test]
    fn rpm() {
        check(Ecosystem::Rpm, "1.0-1", "1.0-1", Equal);
        check(Ecosystem::Rpm, "1.0-1", "1.0-2", Less);
        check(Ecosystem::Rpm, "1:1.0-1", "2.0-1", Greater);
        check(Ecosystem::Rpm, "1.0~rc1-1", "1.0-1", Less);
        check(Ecosystem::Rpm, "1.0^git1-1", "1.0-1", Greater);
        check(Ecosystem::Rpm, "1.0a-1", "1.0-1", Greater);
        check(Ecosystem::Rpm, "1.10-1", "1.9-1", Greater);
        check(Ecosystem::Rpm, "2.0.1-1", "2.0a-1", Greater);
    }

    #[test]
    fn others() {
        check(Ecosystem::Npm, "1.2.10", "1.2.9", Greater);
        check(Ecosystem::Go, "v0.3.0", "v0.10.0", Less);
        check(Ecosystem::Apk, "1.36.1-r5", "1.36.1-r15", Less);
    }
}
