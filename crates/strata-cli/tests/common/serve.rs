//! What the tests of `strata serve` as a server share: starting it on a temporary `dist`,
//! raw HTTP exchanges over a socket (a test must be able to send what no client library
//! would), the server's memory and threads from `/proc`, and running a test again inside a
//! network namespace of its own that has only loopback (`unshare -n`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const STRATA: &str = env!("CARGO_BIN_EXE_strata");

/// A running `strata serve`, killed on drop.
pub struct Serve {
    child: Child,
    pub addr: SocketAddr,
    pub dist: PathBuf,
    log: PathBuf,
    dir: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A raw answer: status (0 when the server closed without one), head and body as sent.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Reply {
    /// A response header (the first of that name), case-insensitively.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

fn unique_dir() -> PathBuf {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    std::env::temp_dir().join(format!(
        "strata-serve-test-{}-{:x}",
        std::process::id(),
        h.finish()
    ))
}

impl Serve {
    /// `strata serve --addr 127.0.0.1:0 --dist <a dist with index.html> ARGS`.
    pub fn start(args: &[&str]) -> Serve {
        Serve::start_at("127.0.0.1:0", args, |_| {})
    }

    /// Like [`Serve::start`], on `addr`, with `fill` adding files to dist first.
    pub fn start_at(addr: &str, args: &[&str], fill: impl FnOnce(&std::path::Path)) -> Serve {
        let dir = unique_dir();
        let dist = dir.join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("index.html"), "<!doctype html><title>t</title>").unwrap();
        fill(&dist);
        let log = dir.join("serve.log");
        let mut child = Command::new(STRATA)
            .args(["serve", "--addr", addr, "--dist"])
            .arg(&dist)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("http://") {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 {
                panic!(
                    "strata serve exited: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        }
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Serve {
            child,
            addr,
            dist,
            log,
            dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A field of `/proc/<pid>/status` as a number (`VmHWM`, `VmRSS` in kB; `Threads`).
    pub fn proc_status(&self, key: &str) -> u64 {
        proc_status(self.pid(), key)
    }

    /// Resets the peak RSS (`VmHWM`) to the current RSS, where the kernel lets us.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").is_ok()
    }

    /// Sends SIGTERM (through kill(1): the tests use no libc).
    pub fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -TERM failed");
    }

    /// Waits for the server to exit, at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        s
    }

    /// Sends `raw` as is and reads until the server closes.
    pub fn raw(&self, raw: &[u8]) -> Reply {
        let mut s = self.connect();
        let _ = s.write_all(raw);
        read_reply(&mut s)
    }

    /// `METHOD PATH HTTP/1.1` with `Host` (this server's) and `Connection: close` unless given.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.raw(request(self.addr, method, path, headers).as_bytes())
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[])
    }
}

/// The text of a request to `addr`.
pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> String {
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("connection"))
    {
        req.push_str("Connection: close\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req
}

/// Reads a whole answer until the peer closes (or the read times out).
pub fn read_reply(s: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    split_reply(&raw)
}

pub fn split_reply(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw.get(split + 4..).unwrap_or(&[]).to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Reply { status, head, body }
}

/// Reads a response head (up to the blank line) and returns it with whatever body bytes came
/// along.
pub fn read_head(s: &mut TcpStream) -> (String, Vec<u8>) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = raw[i + 4..].to_vec();
            raw.truncate(i);
            return (String::from_utf8_lossy(&raw).into_owned(), rest);
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return (String::from_utf8_lossy(&raw).into_owned(), Vec::new()),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
}

pub fn status_of(head: &str) -> u16 {
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub fn proc_status(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix(key)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or(0)
}

/// Network namespaces: a test calls [`netns::inside`] first and returns when it says false.
pub mod netns {
    use std::process::Command;
    use std::sync::OnceLock;

    const MARK: &str = "STRATA_TEST_IN_NETNS";

    /// How this machine makes a namespace with only loopback: `unshare -n` (root) or
    /// `unshare -rn` (a user namespace too), or why neither works.
    fn how() -> &'static Result<Vec<&'static str>, String> {
        static HOW: OnceLock<Result<Vec<&'static str>, String>> = OnceLock::new();
        HOW.get_or_init(|| {
            let mut why = Vec::new();
            for flags in [vec!["-n"], vec!["-r", "-n"]] {
                let out = Command::new("unshare")
                    .args(&flags)
                    .args(["sh", "-c", "ip link set lo up && ip -o link show lo"])
                    .output();
                match out {
                    Ok(o) if o.status.success() => return Ok(flags),
                    Ok(o) => why.push(format!(
                        "unshare {}: {}",
                        flags.join(" "),
                        String::from_utf8_lossy(&o.stderr).trim()
                    )),
                    Err(e) => why.push(format!("unshare {}: {e}", flags.join(" "))),
                }
            }
            Err(why.join("; "))
        })
    }

    /// True inside the namespace: run the test's body. False in the parent, after it ran the
    /// test `name` again in a new network namespace with only loopback (up) and checked it
    /// passed there, or printed why it could not (a kernel or sandbox that refuses).
    pub fn inside(name: &str) -> bool {
        if std::env::var_os(MARK).is_some() {
            return true;
        }
        let flags = match how() {
            Ok(f) => f,
            Err(why) => {
                println!(
                    "SKIPPED {name}: no network namespace can be made here ({why}); \
                     this test runs only inside one, with canaries on loopback"
                );
                eprintln!("SKIPPED {name}: no network namespace can be made here ({why})");
                return false;
            }
        };
        // One at a time: they measure time and memory, and share two cores.
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let exe = std::env::current_exe().unwrap();
        let out = Command::new("unshare")
            .args(flags)
            .args(["sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
            .arg(exe)
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env(MARK, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        print!("{stdout}");
        eprint!("{stderr}");
        assert!(
            out.status.success(),
            "{name} failed inside its network namespace:\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains("1 passed"),
            "{name} did not run inside its network namespace:\n{stdout}"
        );
        false
    }
}
