//! Node packages: each installed package is a directory `node_modules/NAME` (or
//! `node_modules/@SCOPE/NAME`) with a `package.json` (`name`, `version`, `license` — a string,
//! or the older `{ "type": … }` and `licenses: [{ "type": … }]` forms — and `description`).
//! Nested `node_modules` hold the copies npm could not hoist; `package.json` files deeper in a
//! package (`lib/package.json` with only `"type": "module"`) are not packages.

use super::model::{Package, first_line};

/// Whether `path` is the `package.json` of an installed package; returns the package's
/// directory.
pub fn classify(path: &str) -> Option<&str> {
    let dir = path.strip_suffix("/package.json")?;
    let (parent, name) = dir.rsplit_once('/')?;
    if name.is_empty() || name.starts_with('.') {
        return None;
    }
    let parent_name = parent.rsplit('/').next().unwrap_or(parent);
    let is_pkg = if parent_name == "node_modules" {
        !name.starts_with('@')
    } else {
        // `node_modules/@scope/name`
        parent_name.starts_with('@')
            && parent
                .rsplit_once('/')
                .is_some_and(|(pp, _)| pp.rsplit('/').next() == Some("node_modules"))
    };
    is_pkg.then_some(dir)
}

/// The package a `package.json` describes; `dir` (its directory) names it when the file does
/// not. `None` when it is not JSON or has no version.
pub fn parse_package_json(bytes: &[u8], dir: &str) -> Result<Package, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    let name = s("name").unwrap_or_else(|| {
        // The directory's name (with its scope).
        let mut it = dir.rsplit('/');
        let n = it.next().unwrap_or("");
        match it.next() {
            Some(scope) if scope.starts_with('@') => format!("{scope}/{n}"),
            _ => n.to_owned(),
        }
    });
    let Some(version) = s("version") else {
        return Err("it has no version".into());
    };
    let license = match v.get("license") {
        Some(serde_json::Value::String(l)) => Some(l.clone()),
        Some(o) => o.get("type").and_then(|t| t.as_str()).map(str::to_owned),
        None => v
            .get("licenses")
            .and_then(|ls| ls.as_array())
            .and_then(|ls| {
                let types: Vec<&str> = ls
                    .iter()
                    .filter_map(|l| l.get("type").and_then(|t| t.as_str()))
                    .collect();
                (!types.is_empty()).then(|| types.join(" OR "))
            }),
    };
    Ok(Package {
        name,
        version,
        license: license.filter(|l| !l.is_empty()),
        summary: s("description")
            .map(|d| first_line(&d))
            .filter(|d| !d.is_empty()),
        ..Package::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(path: &str, expect: Option<&str>) {
        assert_eq!(classify(path), expect, "{path}");
    }

    #[test]
    fn paths() {
        check(
            "app/node_modules/left-pad/package.json",
            Some("app/node_modules/left-pad"),
        );
        check(
            "node_modules/@scope/x/package.json",
            Some("node_modules/@scope/x"),
        );
        check(
            "a/node_modules/b/node_modules/c/package.json",
            Some("a/node_modules/b/node_modules/c"),
        );
        check("app/node_modules/b/lib/package.json", None);
        check("app/package.json", None);
        check("node_modules/@scope/package.json", None);
        check("node_modules/.bin/package.json", None);
    }

    #[test]
    fn package_json() {
        let p = parse_package_json(br#"{"name":"a","version":"1.0.0","license":"MIT"}"#, "x/a")
            .unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str(), p.license.as_deref()),
            ("a", "1.0.0", Some("MIT"))
        );
        let p = parse_package_json(
            br#"{"version":"2","license":{"type":"ISC"}}"#,
            "node_modules/@s/b",
        )
        .unwrap();
        assert_eq!(
            (p.name.as_str(), p.license.as_deref()),
            ("@s/b", Some("ISC"))
        );
        let p = parse_package_json(
            br#"{"name":"c","version":"3","licenses":[{"type":"MIT"},{"type":"GPL-2.0"}]}"#,
            "c",
        )
        .unwrap();
        assert_eq!(p.license.as_deref(), Some("MIT OR GPL-2.0"));
        assert!(parse_package_json(b"{", "x").is_err());
        assert!(parse_package_json(br#"{"name":"x"}"#, "x").is_err());
    }
}
