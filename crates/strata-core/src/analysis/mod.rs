//! The second floor: what the layers mean together. Interned paths ([`paths`]); the merged
//! filesystem with every path's timeline, per-layer changes and waste ([`tree`]); an image with
//! every layer read and its digests checked ([`read`]); two images compared ([`diff`]); findings
//! with evidence ([`hints`]); dive's own efficiency and waste, for `.dive-ci` ([`dive`]);
//! signatures, attestations and referrers found and checked ([`supply_chain`]); what is
//! installed, by which layer, and SBOMs ([`packages`]).

pub mod diff;
pub mod dive;
pub mod hints;
pub mod packages;
pub mod paths;
pub mod read;
pub mod supply_chain;
pub mod tree;
