//! The Registry v2 / OCI distribution protocol, sans I/O: this module builds requests and
//! reads responses; hosts send them (the CLI with a blocking client, the app's workers with
//! XHR, the tests with recorded answers). No clock: hosts pass `now` (seconds).
//!
//! - [`reference`]: [`Reference`], docker's normalisation (`nginx` is
//!   `docker.io/library/nginx:latest`, at `registry-1.docker.io`), and links pinned to a digest.
//! - [`auth`]: `WWW-Authenticate` challenges, [`Credentials`], Basic's base64.
//! - [`http`]: requests and responses as data, the host's [`Transport`], URL helpers.
//! - [`session`]: [`RegistrySession`], one repository: manifest, blob and tag requests with
//!   every manifest media type in `Accept`, anonymous and credentialed tokens, redirects,
//!   `Docker-Content-Digest` checks; [`fetch`] drives it.
//! - [`open`]: [`open_image`] (index → platform → manifest → config, no layer blob).
//! - [`tags`]: [`list_tags`], following `Link` pages.
//! - [`blobs`]: [`VirtualBlobs`], an image's layer blobs seen as one address space, and
//!   [`source`]: [`source::RegistrySource`], a [`crate::ReadAt`] over them by HTTP `Range`.

pub mod auth;
pub mod blobs;
pub mod http;
pub mod open;
pub mod reference;
pub mod session;
pub mod source;
pub mod tags;

pub use auth::{Challenge, Credentials, base64, parse_www_authenticate};
pub use blobs::VirtualBlobs;
pub use http::{HttpRequest, HttpResponse, Transport, resolve_url, url_encode};
pub use open::{Opened, open_image};
pub use reference::{Reference, parse_user_reference, pin_user_reference};
pub use session::{Fetch, RegistrySession, Step, accept_header, fetch};
pub use tags::{list_tags, next_link, parse_tags};

#[cfg(test)]
mod tests;
