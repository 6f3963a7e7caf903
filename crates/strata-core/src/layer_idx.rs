//! `LayerIdx`, which layer of an image something is about. Layers are counted from 0 inside
//! the engine and the hosts (vectors are indexed by it) and from 1 wherever a person reads
//! them (`layer 3`, a link's `layer=3`): the type keeps the two from being confused, since
//! `Display` and [`LayerIdx::number`] are 1-based and [`LayerIdx::get`] is 0-based.

use serde::{Deserialize, Serialize};

/// A 0-based layer index (`Limits::max_layers` keeps it far below `u16::MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LayerIdx(u16);

impl LayerIdx {
    /// Layer `i`, 0-based (saturating at `u16::MAX`, beyond any image the limits let in).
    pub fn new(i: usize) -> LayerIdx {
        LayerIdx(u16::try_from(i).unwrap_or(u16::MAX))
    }

    /// From the number a person reads (1-based); `None` for 0.
    pub fn from_number(n: usize) -> Option<LayerIdx> {
        n.checked_sub(1).map(LayerIdx::new)
    }

    /// The 0-based index, for vectors.
    pub fn get(self) -> usize {
        usize::from(self.0)
    }

    /// The 1-based number a person reads.
    pub fn number(self) -> usize {
        self.get() + 1
    }

    /// The subject diagnostics about this layer carry (`layer 3`).
    pub fn subject(self) -> String {
        format!("layer {self}")
    }
}

impl std::fmt::Display for LayerIdx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_based_inside_one_based_outside() {
        let third = LayerIdx::new(2);
        assert_eq!(third.get(), 2);
        assert_eq!(third.number(), 3);
        assert_eq!(third.to_string(), "3");
        assert_eq!(third.subject(), "layer 3");
        assert_eq!(LayerIdx::from_number(3), Some(third));
        assert_eq!(LayerIdx::from_number(0), None);
        assert_eq!(serde_json::to_string(&third).ok().as_deref(), Some("2"));
    }
}
