//! An image's supply chain: its signatures, attestations and referrers, found, read and checked
//! without I/O, for the Supply chain view and `strata supply-chain`.
//!
//! - [`find`]: where they are. Archives: attestation manifests in the index, manifests whose
//!   `subject` is the image, cosign and referrers tags in `index.json`. Registries: the OCI 1.1
//!   Referrers API, its tag schema, cosign's tags, as requests the [`crate::registry`] session
//!   builds and the host sends ([`from_registry`], [`from_archive`]).
//! - What they say: [`dsse`] envelopes, in-toto [`statement`]s, SLSA [`provenance`], [`sbom`]s
//!   (SPDX, CycloneDX), [`cosign`] simple-signing payloads and bundles, [`x509`] certificates
//!   (Fulcio's identity extensions), [`notation`] envelopes (JWS, COSE over [`cbor`]).
//! - [`keys`]: a user's public key (ECDSA P-256, Ed25519), which alone can make a signature
//!   "verified"; without one, or for keyless signatures, the report says what was checked and
//!   that nothing was verified ("no trust root").
//! - [`report`]: the view model ([`SupplyChain`], [`Badge`], every [`Check`]).

pub mod cbor;
pub mod cosign;
pub mod dsse;
pub mod encoding;
pub mod find;
pub mod keys;
pub mod notation;
pub mod provenance;
mod read;
pub mod report;
pub mod sbom;
pub mod statement;
pub mod x509;

pub use find::{Options, from_archive, from_registry, subjects_of};
pub use keys::{KeyInfo, PublicKey};
pub use read::DSSE_MEDIA_TYPE;
pub use report::{
    Artifact, ArtifactKind, Attestation, Badge, Check, FoundBy, KeyOutcome, Lookup, Outcome,
    Signature, Subject, SupplyChain, Verification,
};

#[cfg(test)]
mod tests;
