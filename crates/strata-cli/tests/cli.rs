//! The `strata` binary as a user runs it: its help, and `strata serve` refusing what it must
//! over a real socket.

#![allow(clippy::unwrap_used)] // tests may panic on what they did not expect

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

const STRATA: &str = env!("CARGO_BIN_EXE_strata");

#[test]
fn help_lists_the_subcommands() {
    let out = Command::new(STRATA).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for sub in ["overview", "manifest", "config", "images", "serve"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(sub)),
            "`{sub}` missing from:\n{help}"
        );
    }
}

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> (Server, tempdir::Dir) {
    let dist = tempdir::Dir::new();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>t</title>",
    )
    .unwrap();
    std::fs::create_dir(dist.path().join("sub")).unwrap();
    std::fs::write(dist.path().join("sub/app.js"), "console.log(1)").unwrap();
    // A secret beside dist: nothing may reach it.
    std::fs::write(
        dist.path()
            .parent()
            .unwrap()
            .join(format!("{}-secret.txt", dist.name())),
        "SECRET",
    )
    .unwrap();
    let mut child = Command::new(STRATA)
        .args(["serve", "--addr", "127.0.0.1:0", "--dist"])
        .arg(dist.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    (Server { child, addr }, dist)
}

fn request(server: &Server, raw: &str) -> String {
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn get(server: &Server, path: &str) -> String {
    request(
        server,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.addr
        ),
    )
}

#[test]
fn serve_refuses_traversal_and_serves_files_with_headers() {
    let (server, dist) = serve();
    let ok = get(&server, "/sub/app.js");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    // Header names are case-insensitive (hyper writes them in lower case).
    let head = ok.to_ascii_lowercase();
    assert!(head.contains("content-type: text/javascript"), "{ok}");
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{ok}"
    );
    assert!(head.contains("x-content-type-options: nosniff"), "{ok}");
    assert!(head.contains("referrer-policy: no-referrer"), "{ok}");
    let secret = format!("{}-secret.txt", dist.name());
    for path in [
        format!("/../{secret}"),
        format!("/sub/../../{secret}"),
        format!("/%2e%2e/{secret}"),
        format!("/..%2f{secret}"),
        format!("/sub%2f..%2f..%2f{secret}"),
        "/../../../../etc/passwd".to_owned(),
    ] {
        let r = get(&server, &path);
        assert!(
            r.starts_with("HTTP/1.1 400") || r.starts_with("HTTP/1.1 404"),
            "{path}: {r}"
        );
        assert!(
            !r.contains("SECRET") && !r.contains("root:x:0:0"),
            "{path}: {r}"
        );
    }
    // No directory listing.
    assert!(get(&server, "/sub").starts_with("HTTP/1.1 404"));
    assert!(get(&server, "/sub/").starts_with("HTTP/1.1 400"));
    let post = request(
        &server,
        &format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            server.addr
        ),
    );
    assert!(post.starts_with("HTTP/1.1 405"), "{post}");
    drop(dist);
}

/// A temporary directory removed on drop (no extra dependency for one use).
mod tempdir {
    use std::path::{Path, PathBuf};

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> Dir {
            let base = std::env::temp_dir().join(format!(
                "strata-test-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&base);
            std::fs::create_dir_all(base.join("dist")).unwrap();
            Dir(base.join("dist"))
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
        pub fn name(&self) -> String {
            self.0
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            if let Some(parent) = self.0.parent() {
                let _ = std::fs::remove_dir_all(parent);
            }
        }
    }
}
