//! A bounded soak of `strata serve` (issue 19): 10,000 mixed static and proxied requests from
//! 64 concurrent keep-alive clients, the proxied ones to the open test registry (Debian's
//! docker-registry, `scripts/registry.sh`): every answer must be the expected one, and the
//! server's memory must stay flat (RSS after a warm-up, after the soak, and after a second
//! round at the same load, which must add almost nothing). Prints the latency percentiles;
//! `scripts/soak.sh` runs the same mix with wrk against a release build.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they did not expect

mod common;

use common::open_registry;
use common::serve::Serve;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REQUESTS: usize = 10_000;
const CLIENTS: usize = 64;
const WARM_UP: usize = 1_000;
/// A second round, to tell warm buffers from growth.
const AGAIN: usize = 5_000;

const ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

/// One request of the mix: path, extra headers, the status it must get.
#[derive(Clone)]
struct Case {
    path: String,
    headers: Vec<(String, String)>,
    status: u16,
}

/// Reads one keep-alive response; returns its status and body length.
fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<(u16, usize)> {
    let mut chunk = [0u8; 16 << 10];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    buf.drain(..head_end + 4);
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let length = head.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let mut fill = |buf: &mut Vec<u8>, want: usize| -> std::io::Result<()> {
        while buf.len() < want {
            let n = s.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Ok(())
    };
    if let Some(len) = length {
        fill(buf, len)?;
        buf.drain(..len);
        return Ok((status, len));
    }
    if head.contains("transfer-encoding: chunked") {
        let mut total = 0;
        loop {
            let line_end = loop {
                if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                let have = buf.len();
                fill(buf, have + 1)?;
            };
            let size = usize::from_str_radix(String::from_utf8_lossy(&buf[..line_end]).trim(), 16)
                .map_err(|_| std::io::Error::other("bad chunk size"))?;
            fill(buf, line_end + 2 + size + 2)?;
            buf.drain(..line_end + 2 + size + 2);
            total += size;
            if size == 0 {
                return Ok((status, total));
            }
        }
    }
    Ok((status, 0)) // 304 and friends
}

/// Runs `count` requests of `cases` (round robin) from `clients` keep-alive connections:
/// latencies, and the errors (wrong status, broken connection) with what they were.
fn run(
    serve: &Serve,
    cases: &[Case],
    count: usize,
    clients: usize,
) -> (Vec<Duration>, Vec<String>) {
    let next = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let cases = Arc::new(cases.to_vec());
    let addr = serve.addr;
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (next, latencies, errors, cases) = (
                Arc::clone(&next),
                Arc::clone(&latencies),
                Arc::clone(&errors),
                Arc::clone(&cases),
            );
            std::thread::spawn(move || {
                let connect = || {
                    let s = TcpStream::connect(addr).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                    s.set_nodelay(true).unwrap();
                    s
                };
                let mut s = connect();
                let mut buf = Vec::new();
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= count {
                        break;
                    }
                    let case = &cases[i % cases.len()];
                    let mut req = format!("GET {} HTTP/1.1\r\nHost: {addr}\r\n", case.path);
                    for (k, v) in &case.headers {
                        req.push_str(&format!("{k}: {v}\r\n"));
                    }
                    req.push_str("\r\n");
                    let started = Instant::now();
                    let result = s
                        .write_all(req.as_bytes())
                        .and_then(|()| read_response(&mut s, &mut buf));
                    mine.push(started.elapsed());
                    match result {
                        Ok((status, _)) if status == case.status => {}
                        Ok((status, _)) => errors
                            .lock()
                            .unwrap()
                            .push(format!("{}: {status}, not {}", case.path, case.status)),
                        Err(e) => {
                            errors.lock().unwrap().push(format!("{}: {e}", case.path));
                            s = connect();
                            buf.clear();
                        }
                    }
                }
                latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut l = std::mem::take(&mut *latencies.lock().unwrap());
    l.sort();
    let e = std::mem::take(&mut *errors.lock().unwrap());
    (l, e)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

#[test]
fn ten_thousand_mixed_requests_at_64_clients_no_error_and_flat_memory() {
    let registry = open_registry();
    let manifest = ureq::get(&format!("http://{registry}/v2/strata/layers/manifests/oci"))
        .header("Accept", ACCEPT)
        .call()
        .unwrap()
        .body_mut()
        .read_to_vec()
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let config = manifest["config"]["digest"].as_str().unwrap().to_owned();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap().to_owned();
    let serve = Serve::start_at("127.0.0.1:0", &["--allow-registry", &registry], |dist| {
        std::fs::write(dist.join("app.js"), "console.log('strata');\n".repeat(8000)).unwrap();
        std::fs::write(dist.join("sample.tar"), vec![7u8; 2 << 20]).unwrap();
    });
    let etag = {
        let r = serve.get("/app.js");
        r.header("etag").unwrap()
    };
    let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let proxy = |p: &str| format!("/proxy/http/{registry}{p}");
    let cases = vec![
        Case {
            path: "/".into(),
            headers: h(&[("Accept-Encoding", "gzip")]),
            status: 200,
        },
        Case {
            path: proxy("/v2/strata/layers/manifests/oci"),
            headers: h(&[("Accept", ACCEPT)]),
            status: 200,
        },
        Case {
            path: "/app.js".into(),
            headers: h(&[("Accept-Encoding", "gzip")]),
            status: 200,
        },
        Case {
            path: proxy(&format!("/v2/strata/layers/blobs/{config}")),
            headers: vec![],
            status: 200,
        },
        Case {
            path: "/app.js".into(),
            headers: h(&[("If-None-Match", &etag)]),
            status: 304,
        },
        Case {
            path: proxy(&format!("/v2/strata/layers/blobs/{layer}")),
            headers: h(&[("Range", "bytes=0-65535")]),
            status: 206,
        },
        Case {
            path: "/sample.tar".into(),
            headers: vec![],
            status: 200,
        },
        Case {
            path: proxy("/v2/strata/layers/tags/list"),
            headers: vec![],
            status: 200,
        },
        Case {
            path: "/proxy".into(),
            headers: vec![],
            status: 200,
        },
        Case {
            path: proxy("/v2/"),
            headers: vec![],
            status: 200,
        },
    ];
    let (_, warm_errors) = run(&serve, &cases, WARM_UP, CLIENTS);
    assert_eq!(warm_errors, Vec::<String>::new(), "errors while warming up");
    let rss_before = serve.proc_status("VmRSS");
    let started = Instant::now();
    let (latencies, errors) = run(&serve, &cases, REQUESTS, CLIENTS);
    let took = started.elapsed();
    let rss_after = serve.proc_status("VmRSS");
    // Flat: a second round at the same load adds nothing once the buffers are warm.
    let (_, more_errors) = run(&serve, &cases, AGAIN, CLIENTS);
    let rss_again = serve.proc_status("VmRSS");
    let peak = serve.proc_status("VmHWM");
    println!(
        "soak: {REQUESTS} requests ({} static, {} proxied) from {CLIENTS} clients in {:.1} s ({:.0}/s): \
         {} errors; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         server RSS {rss_before} KiB after {WARM_UP} warm-up requests, {rss_after} KiB after the soak, \
         {rss_again} KiB after {AGAIN} more; peak {peak} KiB",
        REQUESTS / 2,
        REQUESTS / 2,
        took.as_secs_f64(),
        REQUESTS as f64 / took.as_secs_f64(),
        errors.len() + more_errors.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.9).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    assert_eq!(latencies.len(), REQUESTS);
    assert!(
        errors.is_empty() && more_errors.is_empty(),
        "{} errors, the first: {:?}",
        errors.len() + more_errors.len(),
        &errors
            .iter()
            .chain(&more_errors)
            .take(10)
            .collect::<Vec<_>>()
    );
    assert!(
        rss_after < rss_before + 16 * 1024,
        "the server grew from {rss_before} KiB to {rss_after} KiB over {REQUESTS} requests"
    );
    assert!(
        rss_again < rss_after + 4 * 1024,
        "the server kept growing: {rss_after} KiB, then {rss_again} KiB after {AGAIN} more requests"
    );
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB");
}
