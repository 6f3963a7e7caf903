//! Problems a user can live with: the image is still shown, with these beside it. "Parsing
//! never fails where it need not": a missing blob, a digest mismatch or a whiteout that escapes
//! the root is a diagnostic attached to what it concerns, not an error that hides the image.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something is wrong with the image (a digest mismatch, a missing blob).
    Error,
    /// Something unusual that may matter (a history that does not match the layers).
    Warning,
    /// Worth knowing, not wrong (a tar without end-of-archive blocks).
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable name for the kind of problem (`digest-mismatch`, `missing-blob`), for tests.
    pub code: String,
    /// Where: `layer 2`, `config`, `manifest.json`, a path in a layer.
    pub subject: String,
    pub message: String,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        code: &str,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            code: code.to_owned(),
            subject: subject.into(),
            message: message.into(),
        }
    }

    pub fn error(code: &str, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, subject, message)
    }

    pub fn warning(code: &str, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, subject, message)
    }

    pub fn note(code: &str, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Note, code, subject, message)
    }
}
