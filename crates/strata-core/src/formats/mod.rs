//! The first floor: the formats an image travels in, read without I/O. Tar streams
//! ([`tar`]); the OCI and Docker documents ([`model`]); which flavour an archive is and the
//! images it holds ([`archive`]); one image's manifest, config and located layers ([`image`]);
//! layer blobs decompressed, hashed and indexed ([`layer`]); the distribution protocol
//! ([`registry`]). Everything above builds on these.

pub mod archive;
pub mod image;
pub mod layer;
pub mod model;
pub mod registry;
pub mod tar;
