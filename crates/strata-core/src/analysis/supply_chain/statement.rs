//! in-toto statements (the in-toto Attestation Framework, ITE-6): `_type`
//! `https://in-toto.io/Statement/v0.1` or `…/v1`, the `subject`s it is about (a name and a digest
//! set each), a `predicateType` and the `predicate`. BuildKit writes them bare into attestation
//! manifests; cosign, securesystemslib and Witness wrap them in DSSE.

use crate::digest::Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// One subject: what the statement is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementSubject {
    #[serde(default)]
    pub name: String,
    /// Algorithm → lowercase hex (`{"sha256": "…"}`), as the DigestSet is written.
    #[serde(default)]
    pub digest: BTreeMap<String, String>,
}

impl StatementSubject {
    /// The sha256 entry as a [`Digest`], when it is one.
    pub fn sha256(&self) -> Option<Digest> {
        Digest::from_sha256_hex(self.digest.get("sha256")?)
    }
}

/// A parsed statement's envelope fields. The predicate is not kept (an SBOM predicate can be
/// tens of MB): each predicate type's reader parses it from the statement's bytes
/// ([`predicate_json`], [`super::sbom::read_sbom_predicate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `_type` as written.
    pub statement_type: String,
    pub subjects: Vec<StatementSubject>,
    pub predicate_type: String,
}

impl Statement {
    /// Whether a subject names `digest` (sha256).
    pub fn names(&self, digest: &Digest) -> bool {
        self.subjects
            .iter()
            .any(|s| s.sha256().as_ref() == Some(digest))
    }
}

/// Parses a statement (v0.1 or v1; the `_type` of any other version is an error that says so).
pub fn parse_statement(bytes: &[u8], limits: &crate::Limits) -> Result<Statement, String> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(rename = "_type", default)]
        statement_type: String,
        #[serde(default)]
        subject: Vec<StatementSubject>,
        #[serde(rename = "predicateType", default)]
        predicate_type: String,
        #[serde(default, rename = "predicate")]
        _predicate: serde::de::IgnoredAny,
    }
    let raw: Raw = crate::model::parse_json("the in-toto statement", bytes, limits)
        .map_err(|e| e.to_string())?;
    match raw.statement_type.as_str() {
        STATEMENT_V01 | STATEMENT_V1 => {}
        "" => return Err("not an in-toto statement: it has no `_type`".into()),
        other => {
            return Err(format!(
                "not an in-toto statement: `_type` is `{}` (expected {STATEMENT_V1} or {STATEMENT_V01})",
                crate::text::clip(other, 80)
            ));
        }
    }
    Ok(Statement {
        statement_type: raw.statement_type,
        subjects: raw.subject,
        predicate_type: raw.predicate_type,
    })
}

/// A statement's predicate as JSON (for the small ones: provenance).
pub fn predicate_json(bytes: &[u8]) -> Result<serde_json::Value, String> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(default)]
        predicate: serde_json::Value,
    }
    serde_json::from_slice::<Raw>(bytes)
        .map(|r| r.predicate)
        .map_err(|e| format!("the statement's predicate: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(json: &str, expect: Result<(&str, usize), &str>) {
        match (
            parse_statement(json.as_bytes(), &crate::Limits::default()),
            expect,
        ) {
            (Ok(s), Ok((pt, n))) => {
                assert_eq!((s.predicate_type.as_str(), s.subjects.len()), (pt, n))
            }
            (Err(e), Err(want)) => assert!(e.contains(want), "{e}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn statements_of_both_versions() {
        let hex = "a".repeat(64);
        check(
            &format!(
                r#"{{"_type":"{STATEMENT_V1}","subject":[{{"name":"x","digest":{{"sha256":"{hex}"}}}}],"predicateType":"p","predicate":{{}}}}"#
            ),
            Ok(("p", 1)),
        );
        check(
            &format!(r#"{{"_type":"{STATEMENT_V01}","subject":[],"predicateType":"q"}}"#),
            Ok(("q", 0)),
        );
        check(
            r#"{"_type":"link","name":"build"}"#,
            Err("`_type` is `link`"),
        );
        check(r#"{"subject":[]}"#, Err("it has no `_type`"));
        check("[", Err("not valid JSON"));
    }
}
