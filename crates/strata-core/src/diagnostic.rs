//! Problems a user can live with: the image is still shown, with these beside it. "Parsing
//! never fails where it need not": a missing blob, a digest mismatch or a whiteout that escapes
//! the root is a diagnostic attached to what it concerns, not an error that hides the image.

use crate::layer_idx::LayerIdx;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable name for the kind of problem (`digest-mismatch`, `missing-blob`), for tests.
    pub code: String,
    /// Where: `layer 2`, `config`, `manifest.json`, a path in a layer.
    pub subject: String,
    pub message: String,
    /// The layer this is about as a whole (its blob, digests, compression), when it is one:
    /// what [`crate::Analysis::layer_status`] reads, so nothing matches `subject` strings. A
    /// problem with a path inside a layer names the layer in `subject` only.
    pub layer: Option<LayerIdx>,
}

/// As JSON (the CLI's output, an image inside a snapshot): the four strings, and the layer
/// when there is one, as `layer_index` — 0-based, as array positions are, while `subject`
/// says `layer 3` the way people count; the name keeps a script from mixing the two.
#[derive(Serialize, Deserialize)]
struct Readable {
    severity: Severity,
    code: String,
    subject: String,
    message: String,
    #[serde(
        rename = "layer_index",
        alias = "layer",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    layer: Option<LayerIdx>,
}

/// In postcard (a layer index in a snapshot or on the wire): the four strings, as before
/// `layer` existed, so snapshots saved then still read. Diagnostics of a layer's index are
/// about paths inside it, which have no `layer`.
#[derive(Serialize, Deserialize)]
struct Compact {
    severity: Severity,
    code: String,
    subject: String,
    message: String,
}

impl Serialize for Diagnostic {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.clone();
        if s.is_human_readable() {
            Readable {
                severity: d.severity,
                code: d.code,
                subject: d.subject,
                message: d.message,
                layer: d.layer,
            }
            .serialize(s)
        } else {
            Compact {
                severity: d.severity,
                code: d.code,
                subject: d.subject,
                message: d.message,
            }
            .serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Diagnostic {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let r = Readable::deserialize(d)?;
            Ok(Diagnostic {
                severity: r.severity,
                code: r.code,
                subject: r.subject,
                message: r.message,
                layer: r.layer,
            })
        } else {
            let c = Compact::deserialize(d)?;
            Ok(Diagnostic {
                severity: c.severity,
                code: c.code,
                subject: c.subject,
                message: c.message,
                layer: None,
            })
        }
    }
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
            layer: None,
        }
    }

    /// A diagnostic about layer `layer` as a whole (its subject is `layer N`).
    pub fn about_layer(
        severity: Severity,
        code: &str,
        layer: LayerIdx,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            layer: Some(layer),
            ..Self::new(severity, code, layer.subject(), message)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_carries_the_layer_and_postcard_keeps_its_old_shape() {
        let d = Diagnostic::about_layer(Severity::Error, "missing-blob", LayerIdx::new(1), "gone");
        let json = serde_json::to_string(&d).unwrap_or_default();
        assert!(
            json.contains(r#""subject":"layer 2""#) && json.contains(r#""layer_index":1"#),
            "{json}"
        );
        assert_eq!(
            serde_json::from_str::<Diagnostic>(&json).ok(),
            Some(d.clone())
        );
        let old = r#"{"severity":"note","code":"x","subject":"config","message":"m"}"#;
        assert_eq!(
            serde_json::from_str::<Diagnostic>(old)
                .ok()
                .map(|d| d.layer),
            Some(None)
        );
        // Postcard: the four fields, as snapshots of version 2 hold them.
        let compact = postcard::to_allocvec(&d).unwrap_or_default();
        let four = postcard::to_allocvec(&(Severity::Error, "missing-blob", "layer 2", "gone"));
        assert_eq!(Some(compact.clone()), four.ok());
        let back: Option<Diagnostic> = postcard::from_bytes(&compact).ok();
        assert_eq!(
            back.map(|d| (d.subject, d.layer)),
            Some(("layer 2".into(), None))
        );
    }
}
