//! The wire between the page and its workers, both ends of it: every message is a JS object
//! `{ json, attachment, bytes }`. The JSON is the [`Request`] or the head of the [`Response`];
//! the attachment is a `File` (page → worker, by structured clone) or bytes (worker → page, a
//! transferred `ArrayBuffer`, not copied); `bytes` are what a request carries beside (the
//! package job's layer scans, transferred too). Decoding restores the engine's types itself (a
//! layer index's lookups, an image's parsed config, a snapshot validated), so what comes out
//! is ready to use and a malformed message becomes a `Failed` response, never a panic.
//!
//! [`encode_response`] and [`decode_response`] are plain functions (tested natively); the
//! `post_*`/`read_*` functions put them in and take them out of JS messages.

use crate::protocol::{Arrived, ErrorInfo, JobId, Request, Response, ScanPayload, browser_error};
use serde::{Deserialize, Serialize};
use std::rc::Rc;
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
    SnapshotFile,
    Analysed {
        images: Vec<crate::protocol::ListedImage>,
        image: usize,
    },
    Packages {
        job: JobId,
        millis: f64,
        memory: u64,
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
        } => {
            // The scan, then the files it kept: the page reads the first, the package worker
            // both (the page hands it these bytes unread).
            let bytes = match scan {
                ScanPayload::Arrived(a) => Ok(a.0.as_ref().clone()),
                ScanPayload::Made { scan, kept } => {
                    postcard::to_allocvec(&*scan).and_then(|mut b| {
                        b.extend(postcard::to_allocvec(&kept)?);
                        Ok(b)
                    })
                }
            };
            match bytes {
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
            }
        }
        Response::Content {
            job,
            offset,
            total,
            bytes,
        } => (Head::Content { job, offset, total }, Some(bytes)),
        Response::SnapshotFile { bytes } => (Head::SnapshotFile, Some(bytes)),
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
            packages,
        } => match postcard::to_allocvec(&*snapshot) {
            // The snapshot's length, the snapshot, then the packages as JSON (none: nothing).
            Ok(snap) => {
                let mut bytes = (snap.len() as u64).to_le_bytes().to_vec();
                bytes.extend(snap);
                if let Some(p) = packages {
                    bytes.extend(serde_json::to_vec(&*p).unwrap_or_default());
                }
                (Head::Analysed { images, image }, Some(bytes))
            }
            Err(e) => (Head::Plain(unsendable(e)), None),
        },
        // JSON: the report flattens each package into its instance, which postcard cannot.
        Response::Packages {
            job,
            millis,
            memory,
            report,
        } => match serde_json::to_vec(&*report) {
            Ok(bytes) => (
                Head::Packages {
                    job,
                    millis,
                    memory,
                },
                Some(bytes),
            ),
            Err(e) => (
                Head::Plain(Response::Failed {
                    job: Some(job),
                    error: browser_error(
                        "The package report could not be sent to the page.",
                        e.to_string(),
                    ),
                }),
                None,
            ),
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
        } => Response::Scanned {
            // Read by the loader a slice at a time; damage is found there (a failure of the
            // run).
            job,
            layer,
            millis,
            memory,
            scan: ScanPayload::Arrived(Arrived(Rc::new(bytes))),
        },
        Head::Content { job, offset, total } => Response::Content {
            job,
            offset,
            total,
            bytes,
        },
        Head::SnapshotFile => Response::SnapshotFile { bytes },
        Head::Snapshot { file_size } => match strata_core::snapshot::from_postcard(&bytes) {
            Ok(snapshot) => Response::Snapshot {
                file_size,
                snapshot: Box::new(snapshot),
            },
            Err(e) => failed(&e),
        },
        Head::Analysed { images, image } => {
            let n = bytes
                .get(..8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_le_bytes)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| n.saturating_add(8) <= bytes.len());
            let Some(n) = n else {
                return Response::Failed {
                    job: None,
                    error: browser_error("The other image arrived damaged from the worker.", ""),
                };
            };
            match strata_core::snapshot::from_postcard(&bytes[8..8 + n]) {
                Ok(snapshot) => Response::Analysed {
                    snapshot: Box::new(snapshot),
                    images,
                    image,
                    packages: serde_json::from_slice(&bytes[8 + n..]).ok().map(Box::new),
                },
                Err(e) => failed(&e),
            }
        }
        Head::Packages {
            job,
            millis,
            memory,
        } => match serde_json::from_slice::<strata_core::packages::PackageReport>(&bytes) {
            Ok(report) => Response::Packages {
                job,
                millis,
                memory,
                report: Box::new(report),
            },
            Err(e) => Response::Failed {
                job: Some(job),
                error: browser_error(
                    "The package report arrived damaged from the worker.",
                    e.to_string(),
                ),
            },
        },
    }
}

fn failed(e: &strata_core::Error) -> Response {
    Response::Failed {
        job: None,
        error: ErrorInfo::from(e),
    }
}

/// A request as JSON (its `File`, if any, travels beside as a JS value; its bytes, if any, are
/// [`request_bytes`]).
pub fn encode_request(request: &Request) -> String {
    serde_json::to_string(request).unwrap_or_default()
}

/// The bytes a request carries beside its JSON (the page copies them once, into the message):
/// a snapshot's body, a layer scan forwarded to the package worker.
pub fn request_bytes(request: &Request) -> Option<&[u8]> {
    match request {
        Request::CompressSnapshot { body } => Some(body.0.as_slice()),
        Request::PackageScan { scan, .. } => Some(scan.0.as_slice()),
        _ => None,
    }
}

/// [`request_bytes`], as a worker receives them.
pub fn received_bytes(request: &Request) -> Option<Vec<u8>> {
    request_bytes(request).map(<[u8]>::to_vec)
}

/// The request in a message: its JSON and the bytes beside it ([`request_bytes`], joined).
pub fn decode_request(json: &str, bytes: Option<Vec<u8>>) -> Result<Request, ErrorInfo> {
    let bad = |detail: String| {
        browser_error(
            "The page sent the worker a message it does not understand.",
            detail,
        )
    };
    let mut request: Request = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    match &mut request {
        Request::CompressSnapshot { body } => *body = Arrived(Rc::new(bytes.unwrap_or_default())),
        Request::PackageScan { scan, .. } => {
            *scan = Arrived(Rc::new(
                bytes.ok_or_else(|| bad("a layer scan without its bytes".into()))?,
            ))
        }
        _ => {}
    }
    Ok(request)
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

/// Page side: the message for a request, with its `File` beside it and its bytes
/// ([`request_bytes`]) copied into a buffer of their own; and that buffer, to transfer rather
/// than copy again.
pub fn request_message(request: &Request, file: Option<&JsValue>) -> (JsValue, Option<JsValue>) {
    let message = envelope(encode_request(request), file);
    let Some(bytes) = request_bytes(request) else {
        return (message, None);
    };
    let array = js_sys::Uint8Array::from(bytes);
    let _ = js_sys::Reflect::set(&message, &"bytes".into(), &array);
    (message, Some(array.buffer().into()))
}

/// Worker side: the request in a message (its bytes restored into it), and the `File` beside.
pub fn read_request(data: &JsValue) -> (Result<Request, ErrorInfo>, Option<JsValue>) {
    let (json, attachment) = open_envelope(data);
    let bytes = js_sys::Reflect::get(data, &"bytes".into())
        .ok()
        .and_then(|a| a.dyn_into::<js_sys::Uint8Array>().ok())
        .map(|a| a.to_vec());
    (decode_request(&json, bytes), attachment)
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
    fn a_scan_arrives_as_its_bytes_the_scan_then_the_files_it_kept() {
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
            scan: ScanPayload::Made {
                scan: Box::new(scan),
                kept: vec![strata_core::layer::scan::Captured {
                    entry: 1,
                    bytes: b"kept".to_vec(),
                }],
            },
        });
        let Response::Scanned {
            job, layer, scan, ..
        } = back
        else {
            panic!("not a scan: {back:?}")
        };
        assert_eq!((job, layer), (7, LayerIdx::new(2)));
        // Read on the page a slice at a time; the same bytes go on to the package worker.
        let ScanPayload::Arrived(arrived) = scan else {
            panic!("not kept as it arrived")
        };
        let mut reader = strata_core::layer::ScanReader::new();
        let again = loop {
            if let Some(s) = reader.work(&arrived.0, 1).unwrap_or_else(|e| panic!("{e}")) {
                break s;
            }
        };
        assert_eq!(again.index.entries.len(), 2);
        assert!(again.index.paths.lookup("etc/hosts").is_some());
        let files: Vec<strata_core::layer::scan::Captured> =
            postcard::from_bytes(&arrived.0[reader.consumed()..]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(files[0].bytes, b"kept");
    }

    #[test]
    fn a_layer_scan_goes_to_the_package_worker_beside() {
        let request = Request::PackageScan {
            job: 4,
            layer: LayerIdx::new(2),
            layers: 3,
            expected: 2,
            scan: Arrived(Rc::new(b"abc".to_vec())),
        };
        let json = encode_request(&request);
        assert!(!json.contains("abc"), "the scan is not in the JSON: {json}");
        let back = decode_request(&json, received_bytes(&request));
        let Ok(Request::PackageScan {
            job: 4,
            layer,
            layers: 3,
            expected: 2,
            scan,
        }) = back
        else {
            panic!("{back:?}")
        };
        assert_eq!((layer, scan.0.as_slice()), (LayerIdx::new(2), &b"abc"[..]));
        // Without its bytes: refused, not taken for an empty scan.
        assert!(decode_request(&json, None).is_err());
    }

    #[test]
    fn a_snapshot_body_goes_beside_and_its_file_comes_back_beside() {
        let request = Request::CompressSnapshot {
            body: Arrived(Rc::new(b"body".to_vec())),
        };
        let json = encode_request(&request);
        assert!(
            !json.contains("body\":["),
            "the body is not in the JSON: {json}"
        );
        let back = decode_request(&json, received_bytes(&request));
        let Ok(Request::CompressSnapshot { body }) = back else {
            panic!("{back:?}")
        };
        assert_eq!(body.0.as_slice(), b"body");
        let (json, bytes) = encode_response(Response::SnapshotFile {
            bytes: b"file".to_vec(),
        });
        assert_eq!(bytes.as_deref(), Some(&b"file"[..]));
        let Response::SnapshotFile { bytes } = decode_response(&json, bytes) else {
            panic!("not a snapshot file")
        };
        assert_eq!(bytes, b"file");
    }

    #[test]
    fn a_package_report_arrives_whole() {
        let mut report = strata_core::packages::PackageReport::default();
        report
            .packages
            .push(strata_core::packages::PackageInstance {
                ecosystem: strata_core::packages::Ecosystem::Deb,
                package: strata_core::packages::Package {
                    name: "libc6".into(),
                    version: "2.36-9".into(),
                    ..Default::default()
                },
                purl: "pkg:deb/debian/libc6@2.36-9".into(),
                location: "var/lib/dpkg/status".into(),
                layer: 1,
                step: None,
                removed_in: None,
                n_files: 0,
                bytes: 0,
                layer_bytes: Vec::new(),
            });
        let back = round_trip(Response::Packages {
            job: 3,
            millis: 1.0,
            memory: 2,
            report: Box::new(report.clone()),
        });
        assert!(
            matches!(&back, Response::Packages { job: 3, report: r, .. } if r.packages == report.packages),
            "{back:?}"
        );
        let bad = decode_response(
            r#"{"Packages":{"job":3,"millis":0,"memory":0}}"#,
            Some(b"{".to_vec()),
        );
        assert!(
            matches!(bad, Response::Failed { job: Some(3), .. }),
            "{bad:?}"
        );
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
        // A damaged scan is found as the loader reads it (its tests); here it only arrives.
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
        let back = decode_request(&encode_request(&request), None);
        assert!(
            matches!(back, Ok(Request::HashBlob { job: 2, layer, .. }) if layer == LayerIdx::new(4))
        );
        assert!(decode_request("{}", None).is_err());
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
            decode_request(&encode_request(&request), None)
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
            let kind = if name.ends_with('/') { b'5' } else { b'0' };
            let header = strata_core::tar::header::ustar_header(name.as_bytes(), kind, 0o644, 0, 0);
            out.extend_from_slice(&header);
        }
        out.resize(3072, 0);
        out
    }
}
