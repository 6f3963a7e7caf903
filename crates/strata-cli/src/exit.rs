//! The exit codes of `strata`, one meaning each, so a script or a CI pipeline can tell a
//! broken image from a failed rule from a mistyped command. README.md lists them.

/// Done, and the image (where layers were read) is intact.
pub const OK: i32 = 0;
/// `strata ci`: a rule failed on an intact image.
pub const RULE_FAILED: i32 = 1;
/// Nothing could be done: a usage error, an IMAGE that cannot be opened, a refused request.
pub const ERROR: i32 = 2;
/// The image is damaged: a layer blob is missing, unreadable, cut short or does not match its
/// digest, or entries had to be skipped. What could be read was printed first. For
/// `supply-chain --key`: a signature or attestation checked with the key did not verify.
pub const DAMAGED: i32 = 3;
