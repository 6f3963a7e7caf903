//! The wire between the page and its workers, both ends of it: every message is a JS object
//! `{ json, attachment }`. The JSON is the [`Request`] or the head of the [`Response`]; the
//! attachment is a `File` (page → worker, by structured clone) or bytes (worker → page, a
//! transferred `ArrayBuffer`, not copied). Decoding restores the engine's types itself (a
//! layer index's lookups, an image's parsed config, a snapshot validated), so what comes out
//! is ready to use and a malformed message becomes a `Failed` response, never a panic.
//!
//! [`encode_response`] and [`decode_response`] are plain functions (tested natively); the
//! `post_*`/`read_*` functions put them in and take them out of JS messages.

use crate::protocol::{ErrorInfo, JobId, Request, Response, browser_error};
use serde::{Deserialize, Serialize};
use strata_core::LayerIdx;
use wasm_bindgen::{JsCast, JsValue};

/// A response as it travels: the ones with a payload beside name it here without it.
#[derive(Serialize, Deserialize)]
enum Head {
    Plain(Response),
    Scanned {
        job: JobId,
        layer: LayerIdx,
        millis: f64,
        memory: u64,
    },
    Content {
        job: JobId,
        offset: u64,
        total: u64,
    },
    Snapshot {
        file_size: u64,
    },
    Analysed {
        images: Vec<crate::protocol::ListedImage>,
        image: usize,
    },
}

/// A response as JSON and the bytes that travel beside it.
pub fn encode_response(response: Response) -> (String, Option<Vec<u8>>) {
    let (head, bytes) = match response {
        Response::Scanned {
            job,
            layer,
            millis,
            memory,
            scan,
        } => match postcard::to_allocvec(&*scan) {
            Ok(bytes) => (
                Head::Scanned {
                    job,
                    layer,
                    millis,
                    memory,
                },
                Some(bytes),
            ),
            Err(e) => (
                Head::Plain(Response::Failed {
                    job: Some(job),
                    error: browser_error(
                        "The layer's index could not be sent to the page.",
                        e.to_string(),
                    ),
                }),
                None,
            ),
        },
        Response::Content {
            job,
            offset,
            total,
            bytes,
        } => (Head::Content { job, offset, total }, Some(bytes)),
        Response::Snapshot {
            file_size,
            snapshot,
        } => match postcard::to_allocvec(&*snapshot) {
            Ok(bytes) => (Head::Snapshot { file_size }, Some(bytes)),
            Err(e) => (Head::Plain(unsendable(e)), None),
        },
        Response::Analysed {
            snapshot,
            images,
            image,
        } => match postcard::to_allocvec(&*snapshot) {
            Ok(bytes) => (Head::Analysed { images, image }, Some(bytes)),
            Err(e) => (Head::Plain(unsendable(e)), None),
        },
        plain => (Head::Plain(plain), None),
    };
    (serde_json::to_string(&head).unwrap_or_default(), bytes)
}

fn unsendable(e: postcard::Error) -> Response {
    Response::Failed {
        job: None,
        error: browser_error("The image could not be sent to the page.", e.to_string()),
    }
}

/// The response a message carries, its engine types restored; a message that does not decode
/// is a `Failed` response saying so.
pub fn decode_response(json: &str, bytes: Option<Vec<u8>>) -> Response {
    let head = match serde_json::from_str::<Head>(json) {
        Ok(h) => h,
        Err(e) => {
            return Response::Failed {
                job: None,
                error: browser_error(
                    "The background worker sent a message the page does not understand.",
                    e.to_string(),
                ),
            };
        }
    };
    let bytes = bytes.unwrap_or_default();
    match head {
        Head::Plain(Response::Loaded {
            mut image,
            overview,
            image_number,
            bytes_read,
        }) => {
            // The parsed config is not serialised: parse it again from its bytes.
            image.restore_config();
            Response::Loaded {
                image,
                overview,
                image_number,
                bytes_read,
            }
        }
        Head::Plain(plain) => plain,
        Head::Scanned {
            job,
            layer,
            millis,
            memory,
        } => match postcard::from_bytes::<strata_core::LayerScan>(&bytes) {
            Ok(mut scan) => {
                scan.index.restore();
                Response::Scanned {
                    job,
                    layer,
                    millis,
                    memory,
                    scan: Box::new(scan),
                }
            }
            Err(e) => Response::Failed {
                job: Some(job),
                error: browser_error(
                    "A layer's index arrived damaged from the worker.",
                    e.to_string(),
                ),
            },
        },
        Head::Content { job, offset, total } => Response::Content {
            job,
            offset,
            total,
            bytes,
        },
        Head::Snapshot { file_size } => match strata_core::snapshot::from_postcard(&bytes) {
            Ok(snapshot) => Response::Snapshot {
                file_size,
                snapshot: Box::new(snapshot),
            },
            Err(e) => failed(&e),
        },
        Head::Analysed { images, image } => match strata_core::snapshot::from_postcard(&bytes) {
            Ok(snapshot) => Response::Analysed {
                snapshot: Box::new(snapshot),
                images,
                image,
            },
            Err(e) => failed(&e),
        },
    }
}

fn failed(e: &strata_core::Error) -> Response {
    Response::Failed {
        job: None,
        error: ErrorInfo::from(e),
    }
}

/// A request as JSON (its `File`, if any, travels beside as a JS value).
pub fn encode_request(request: &Request) -> String {
    serde_json::to_string(request).unwrap_or_default()
}

pub fn decode_request(json: &str) -> Result<Request, ErrorInfo> {
    serde_json::from_str(json).map_err(|e| {
        browser_error(
            "The page sent the worker a message it does not understand.",
            e.to_string(),
        )
    })
}

fn envelope(json: String, attachment: Option<&JsValue>) -> JsValue {
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"json".into(), &json.into());
    if let Some(a) = attachment {
        let _ = js_sys::Reflect::set(&message, &"attachment".into(), a);
    }
    message.into()
}

/// `(json, attachment)` of a message's data.
fn open_envelope(data: &JsValue) -> (String, Option<JsValue>) {
    let json = js_sys::Reflect::get(data, &"json".into())
        .ok()
        .and_then(|j| j.as_string())
        .unwrap_or_default();
    let attachment = js_sys::Reflect::get(data, &"attachment".into())
        .ok()
        .filter(|a| !a.is_undefined() && !a.is_null());
    (json, attachment)
}

/// Page side: the message for a request, with its `File` beside it.
pub fn request_message(request: &Request, file: Option<&JsValue>) -> JsValue {
    envelope(encode_request(request), file)
}

/// Worker side: the request in a message, and the `File` beside it.
pub fn read_request(data: &JsValue) -> (Result<Request, ErrorInfo>, Option<JsValue>) {
    let (json, attachment) = open_envelope(data);
    (decode_request(&json), attachment)
}

/// Worker side: posts a response, transferring (not copying) the buffer of its bytes.
pub fn post_response(scope: &web_sys::DedicatedWorkerGlobalScope, response: Response) {
    let (json, bytes) = encode_response(response);
    match bytes {
        Some(b) => {
            let array = js_sys::Uint8Array::from(b.as_slice());
            let message = envelope(json, Some(&array));
            let transfer = js_sys::Array::of1(&array.buffer());
            let _ = scope.post_message_with_transfer(&message, &transfer);
        }
        None => {
            let _ = scope.post_message(&envelope(json, None));
        }
    }
}

/// Page side: the response in a message, decoded.
pub fn read_response(data: &JsValue) -> Response {
    let (json, attachment) = open_envelope(data);
    let bytes = attachment
        .and_then(|a| a.dyn_into::<js_sys::Uint8Array>().ok())
        .map(|a| a.to_vec());
    decode_response(&json, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(response: Response) -> Response {
        let (json, bytes) = encode_response(response);
        decode_response(&json, bytes)
    }

    #[test]
    fn a_scan_arrives_with_its_lookups_rebuilt() {
        let scan = strata_core::scan_layer(
            &strata_core::MemorySource::new(tar_of(&["etc/", "etc/hosts"])),
            0,
            3072,
            &strata_core::Limits::default(),
            &mut |_| true,
        );
        let Ok(scan) = scan else {
            panic!("the test layer scans")
        };
        let back = round_trip(Response::Scanned {
            job: 7,
            layer: LayerIdx::new(2),
            millis: 1.5,
            memory: 10,
            scan: Box::new(scan),
        });
        let Response::Scanned {
            job, layer, scan, ..
        } = back
        else {
            panic!("not a scan: {back:?}")
        };
        assert_eq!((job, layer), (7, LayerIdx::new(2)));
        assert!(scan.index.paths.lookup("etc/hosts").is_some());
    }

    #[test]
    fn a_digest_arrives_parsed_and_a_bad_one_fails() {
        let digest = strata_core::Digest::parse(&format!("sha256:{}", "a".repeat(64)))
            .unwrap_or_else(|e| panic!("{e}"));
        let back = round_trip(Response::Hashed {
            job: 3,
            layer: LayerIdx::new(0),
            digest: digest.clone(),
            millis: 0.0,
        });
        assert!(matches!(back, Response::Hashed { digest: d, .. } if d == digest));
        let bad = decode_response(
            r#"{"Plain":{"Hashed":{"job":3,"layer":0,"digest":"sha256:xyz","millis":0}}}"#,
            None,
        );
        assert!(matches!(bad, Response::Failed { job: None, .. }), "{bad:?}");
    }

    #[test]
    fn content_bytes_travel_beside() {
        let back = round_trip(Response::Content {
            job: 1,
            offset: 4,
            total: 9,
            bytes: b"hello".to_vec(),
        });
        assert!(
            matches!(back, Response::Content { offset: 4, total: 9, bytes, .. } if bytes == b"hello")
        );
    }

    #[test]
    fn a_damaged_attachment_is_a_failure_of_its_job() {
        let (json, _) = encode_response(Response::Content {
            job: 1,
            offset: 0,
            total: 0,
            bytes: Vec::new(),
        });
        assert!(json.contains("Content"));
        let back = decode_response(
            r#"{"Scanned":{"job":5,"layer":1,"millis":0,"memory":0}}"#,
            Some(vec![0xff; 3]),
        );
        assert!(
            matches!(back, Response::Failed { job: Some(5), .. }),
            "{back:?}"
        );
        let back = decode_response(
            r#"{"Analysed":{"images":[],"image":0}}"#,
            Some(vec![1, 2, 3]),
        );
        assert!(
            matches!(back, Response::Failed { job: None, .. }),
            "{back:?}"
        );
    }

    #[test]
    fn requests_round_trip() {
        let request = Request::HashBlob {
            job: 2,
            layer: LayerIdx::new(4),
            blob: strata_core::BlobLocation { offset: 1, len: 2 },
        };
        let back = decode_request(&encode_request(&request));
        assert!(
            matches!(back, Ok(Request::HashBlob { job: 2, layer, .. }) if layer == LayerIdx::new(4))
        );
        assert!(decode_request("{}").is_err());
    }

    /// The start page's sample with an attestation manifest (`www/samples/multiarch.oci.tar`,
    /// made by scripts/samples.sh from the fixtures): its supply chain crosses the wire whole,
    /// and the attestation manifest the platform chooser counts is among the manifests found
    /// (the Supply chain view opens it by digest).
    #[test]
    fn a_supply_chain_crosses_the_wire_whole() {
        let bytes = include_bytes!("../www/samples/multiarch.oci.tar").to_vec();
        let source = strata_core::MemorySource::new(bytes);
        let limits = strata_core::Limits::default();
        let archive = strata_core::open_archive(&source, &limits, &mut |_| {})
            .unwrap_or_else(|e| panic!("{e}"));
        let image = strata_core::load_image(
            &archive,
            &source,
            0,
            &strata_core::ManifestPick::Default,
            &limits,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        // The request carries the image; it arrives with its config parsed again by the worker.
        let request = Request::SupplyChain {
            lookup: 4,
            image: Box::new(image.clone()),
            registry: None,
            key: None,
            limits: limits.clone(),
        };
        let Ok(Request::SupplyChain { image: sent, .. }) =
            decode_request(&encode_request(&request))
        else {
            panic!("the request did not round-trip")
        };
        let report = strata_core::supply_chain::from_archive(
            &archive,
            &source,
            &sent,
            &strata_core::supply_chain::Options::default(),
            &limits,
        );
        let attestation = image.choices[image.chosen.unwrap_or_default()].attestations[0]
            .digest
            .clone();
        assert!(
            report
                .artifacts
                .iter()
                .any(|a| a.digest.as_str() == attestation && !a.raw.bytes.is_empty()),
            "{report:#?}"
        );
        assert_eq!(
            strata_core::supply_chain_view::badge(&report, false)
                .attestations
                .as_deref(),
            Some("attestations: SBOM")
        );
        let back = round_trip(Response::SupplyChain {
            lookup: 4,
            result: Ok(Box::new(report.clone())),
            key_error: None,
        });
        let Response::SupplyChain {
            lookup: 4,
            result: Ok(arrived),
            ..
        } = back
        else {
            panic!("not a supply chain: {back:?}")
        };
        assert_eq!(*arrived, report);
    }

    /// A tar of empty entries (names ending in `/` are directories).
    fn tar_of(names: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        for name in names {
            let mut header = [0u8; 512];
            header[..name.len()].copy_from_slice(name.as_bytes());
            header[100..108].copy_from_slice(b"0000644\0");
            header[108..116].copy_from_slice(b"0000000\0");
            header[116..124].copy_from_slice(b"0000000\0");
            header[124..136].copy_from_slice(b"00000000000\0");
            header[136..148].copy_from_slice(b"00000000000\0");
            header[156] = if name.ends_with('/') { b'5' } else { b'0' };
            header[257..263].copy_from_slice(b"ustar\0");
            header[263..265].copy_from_slice(b"00");
            header[148..156].copy_from_slice(b"        ");
            let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
            header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
            out.extend_from_slice(&header);
        }
        out.resize(3072, 0);
        out
    }
}
