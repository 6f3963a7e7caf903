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
                ScanPayload::Arrived(a) => Ok(a.into_vec()),
                ScanPayload::Made { scan, kept } => {
                    let mut bytes = Vec::new();
                    write_scan(&scan, &kept, &mut |_, piece| bytes.extend_from_slice(piece))
                        .map(|_| bytes)
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
        Response::SnapshotFile { bytes } => (Head::SnapshotFile, Some(bytes.into_vec())),
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

/// How much of a scan [`write_scan`] holds before it hands it on.
const WRITE_PIECE: usize = 1 << 20;

/// A scan's bytes as they travel (postcard: the `LayerScan`, then the files it kept), handed
/// to `sink` a piece at a time with the offset of each: the scanning worker writes them
/// straight into the JS buffer that carries them, where one `Vec` of them beside the index
/// (58 MB for a million entries) was a third of its memory. The bytes written.
pub fn write_scan(
    scan: &strata_core::LayerScan,
    kept: &[strata_core::layer::scan::Captured],
    sink: &mut dyn FnMut(usize, &[u8]),
) -> postcard::Result<usize> {
    let mut out = Pieces {
        buf: Vec::with_capacity(WRITE_PIECE),
        at: 0,
        sink,
    };
    out = postcard::serialize_with_flavor(scan, out)?;
    postcard::serialize_with_flavor(kept, out)?.done()
}

/// The size of [`write_scan`]'s bytes.
pub fn scan_size(
    scan: &strata_core::LayerScan,
    kept: &[strata_core::layer::scan::Captured],
) -> postcard::Result<usize> {
    use postcard::ser_flavors::Size;
    Ok(
        postcard::serialize_with_flavor::<_, _, usize>(scan, Size::default())?
            + postcard::serialize_with_flavor::<_, _, usize>(kept, Size::default())?,
    )
}

/// A postcard output that hands its bytes on a piece at a time.
struct Pieces<'a> {
    buf: Vec<u8>,
    /// The offset of `buf`'s first byte.
    at: usize,
    sink: &'a mut dyn FnMut(usize, &[u8]),
}

impl Pieces<'_> {
    fn flush(&mut self) {
        if !self.buf.is_empty() {
            (self.sink)(self.at, &self.buf);
            self.at += self.buf.len();
            self.buf.clear();
        }
    }

    fn done(mut self) -> postcard::Result<usize> {
        self.flush();
        Ok(self.at)
    }
}

impl postcard::ser_flavors::Flavor for Pieces<'_> {
    /// Itself, so a second value can follow the first.
    type Output = Self;

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.buf.push(byte);
        if self.buf.len() >= WRITE_PIECE {
            self.flush();
        }
        Ok(())
    }

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        if self.buf.len() + data.len() > WRITE_PIECE {
            self.flush();
            if data.len() >= WRITE_PIECE {
                // A long run (a table's names): straight on, not through the buffer.
                (self.sink)(self.at, data);
                self.at += data.len();
                return Ok(());
            }
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<Self> {
        Ok(self)
    }
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
    decode_arrived(json, bytes.map(Arrived::new))
}

/// [`decode_response`] of the bytes as they arrived: a scan's and a snapshot file's stay
/// where they are (the loader copies a scan in a piece at a time, and hands it on; a snapshot
/// file is saved from its buffer); the others are copied in now.
fn decode_arrived(json: &str, bytes: Option<Arrived>) -> Response {
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
            scan: ScanPayload::Arrived(bytes.unwrap_or_default()),
        },
        Head::Content { job, offset, total } => Response::Content {
            job,
            offset,
            total,
            bytes: copied(bytes),
        },
        // Saved from the buffer it came in: never copied into the page's memory.
        Head::SnapshotFile => Response::SnapshotFile {
            bytes: bytes.unwrap_or_default(),
        },
        Head::Snapshot { file_size } => {
            match strata_core::snapshot::from_postcard(&copied(bytes)) {
                Ok(snapshot) => Response::Snapshot {
                    file_size,
                    snapshot: Box::new(snapshot),
                },
                Err(e) => failed(&e),
            }
        }
        Head::Analysed { images, image } => {
            let bytes = copied(bytes);
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
        } => match serde_json::from_slice::<strata_core::packages::PackageReport>(&copied(bytes)) {
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

/// Bytes beside a message, in the page's memory (copied in if they were not).
fn copied(bytes: Option<Arrived>) -> Vec<u8> {
    bytes.map(Arrived::into_vec).unwrap_or_default()
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
pub fn request_bytes(request: &Request) -> Option<&Arrived> {
    match request {
        Request::CompressSnapshot { body } => Some(body),
        Request::PackageScan { scan, .. } => Some(scan),
        _ => None,
    }
}

/// [`request_bytes`], as a worker receives them.
pub fn received_bytes(request: &Request) -> Option<Vec<u8>> {
    request_bytes(request).map(|a| a.clone().into_vec())
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
        Request::CompressSnapshot { body } => *body = Arrived::new(bytes.unwrap_or_default()),
        Request::PackageScan { scan, .. } => {
            *scan = Arrived::new(bytes.ok_or_else(|| bad("a layer scan without its bytes".into()))?)
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
/// ([`request_bytes`]) in a buffer of their own (copied there from the page's memory, or the
/// JS buffer they arrived in); and that buffer, to transfer rather than copy again. A buffer
/// transferred is the page's no more: [`Arrived::Js`] bytes are sent once they are copied in.
pub fn request_message(request: &Request, file: Option<&JsValue>) -> (JsValue, Option<JsValue>) {
    let message = envelope(encode_request(request), file);
    let array = match request_bytes(request) {
        None => return (message, None),
        Some(Arrived::Here(bytes)) => js_sys::Uint8Array::from(bytes.as_slice()),
        Some(Arrived::Js(array)) => array.clone(),
    };
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

/// Worker side: posts a response, transferring (not copying) the buffer of its bytes. A
/// scan is written straight into that buffer ([`write_scan`]).
pub fn post_response(scope: &web_sys::DedicatedWorkerGlobalScope, response: Response) {
    let response = match response {
        Response::Scanned {
            job,
            layer,
            millis,
            memory,
            scan: ScanPayload::Made { scan, kept },
        } => match scan_into_js(&scan, &kept) {
            Ok(array) => {
                let head = Head::Scanned {
                    job,
                    layer,
                    millis,
                    memory,
                };
                let json = serde_json::to_string(&head).unwrap_or_default();
                let message = envelope(json, Some(&array));
                let _ = scope
                    .post_message_with_transfer(&message, &js_sys::Array::of1(&array.buffer()));
                return;
            }
            Err(e) => Response::Failed {
                job: Some(job),
                error: browser_error("The layer's index could not be sent to the page.", e),
            },
        },
        other => other,
    };
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

/// A scan's bytes ([`write_scan`]) in a JS buffer of their own, written a piece at a time.
fn scan_into_js(
    scan: &strata_core::LayerScan,
    kept: &[strata_core::layer::scan::Captured],
) -> Result<js_sys::Uint8Array, String> {
    let size = scan_size(scan, kept).map_err(|e| e.to_string())?;
    let length = u32::try_from(size)
        .map_err(|_| format!("the index takes {size} bytes, more than one buffer holds"))?;
    let array = js_sys::Uint8Array::new_with_length(length);
    let written = write_scan(scan, kept, &mut |at, piece| {
        // Within the size measured above (a piece past it would be cut short by `subarray`,
        // and is caught by the count below).
        let end = (at + piece.len()).min(size);
        if at < end {
            array
                .subarray(at as u32, end as u32)
                .copy_from(&piece[..end - at]);
        }
    })
    .map_err(|e| e.to_string())?;
    if written != size {
        return Err(format!(
            "the index took {written} bytes, not the {size} measured"
        ));
    }
    Ok(array)
}

/// Page side: the response in a message, decoded.
pub fn read_response(data: &JsValue) -> Response {
    let (json, attachment) = open_envelope(data);
    let bytes = attachment
        .and_then(|a| a.dyn_into::<js_sys::Uint8Array>().ok())
        .map(Arrived::Js);
    decode_arrived(&json, bytes)
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
            if let Some(s) = reader
                .work(arrived.here().unwrap_or_default(), 1)
                .unwrap_or_else(|e| panic!("{e}"))
            {
                break s;
            }
        };
        assert_eq!(again.index.entries.len(), 2);
        assert!(again.index.paths.lookup("etc/hosts").is_some());
        let files: Vec<strata_core::layer::scan::Captured> =
            postcard::from_bytes(&arrived.here().unwrap_or_default()[reader.consumed()..])
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(files[0].bytes, b"kept");
    }

    #[test]
    fn a_scan_written_a_piece_at_a_time_is_its_postcard_bytes() {
        // 40k paths, whose names' bytes (one long run) and entries are each past a piece,
        // and files kept of a piece and a half: every way a piece is handed on.
        let names: Vec<String> = (0..40_000)
            .map(|i| format!("d{}/file-{i:06}", i / 1000))
            .collect();
        let mut tar = Vec::new();
        for name in &names {
            tar.extend_from_slice(&strata_core::tar::header::ustar_header(
                name.as_bytes(),
                b'0',
                0o644,
                0,
                0,
            ));
        }
        let size = tar.len() as u64 + 1024;
        tar.resize(size as usize, 0);
        let scan = strata_core::scan_layer(
            &strata_core::MemorySource::new(tar),
            0,
            size,
            &strata_core::Limits::default(),
            &mut |_| true,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(scan.index.entries.len() >= 40_000);
        let kept = vec![strata_core::layer::scan::Captured {
            entry: 3,
            bytes: vec![7; WRITE_PIECE * 3 / 2],
        }];
        let mut want = postcard::to_allocvec(&scan).unwrap_or_else(|e| panic!("{e}"));
        want.extend(postcard::to_allocvec(&kept).unwrap_or_else(|e| panic!("{e}")));
        assert!(want.len() > 3 * WRITE_PIECE, "{} bytes", want.len());
        let (mut got, mut pieces) = (Vec::new(), 0);
        let written = write_scan(&scan, &kept, &mut |at, piece| {
            assert_eq!(
                at,
                got.len(),
                "pieces come in order, each where the last ended"
            );
            assert!(!piece.is_empty());
            got.extend_from_slice(piece);
            pieces += 1;
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(written, want.len());
        assert_eq!(scan_size(&scan, &kept).ok(), Some(want.len()));
        assert!(got == want, "the pieces are not the postcard bytes");
        assert!(pieces >= 4, "{pieces} pieces");
    }

    #[test]
    fn a_layer_scan_goes_to_the_package_worker_beside() {
        let request = Request::PackageScan {
            job: 4,
            layer: LayerIdx::new(2),
            layers: 3,
            expected: 2,
            scan: Arrived::new(b"abc".to_vec()),
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
        assert_eq!(
            (layer, scan.here().unwrap_or_default()),
            (LayerIdx::new(2), &b"abc"[..])
        );
        // Without its bytes: refused, not taken for an empty scan.
        assert!(decode_request(&json, None).is_err());
    }

    #[test]
    fn a_snapshot_body_goes_beside_and_its_file_comes_back_beside() {
        let request = Request::CompressSnapshot {
            body: Arrived::new(b"body".to_vec()),
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
        assert_eq!(body.here().unwrap_or_default(), b"body");
        let (json, bytes) = encode_response(Response::SnapshotFile {
            bytes: Arrived::new(b"file".to_vec()),
        });
        assert_eq!(bytes.as_deref(), Some(&b"file"[..]));
        let Response::SnapshotFile { bytes } = decode_response(&json, bytes) else {
            panic!("not a snapshot file")
        };
        assert_eq!(bytes.here(), Some(&b"file"[..]));
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
