//! A real OCI registry for tests: Debian's `docker-registry` (CNCF distribution 2.8) serving on 127.0.0.1 on
//! a free port, with its storage in a fresh temporary directory, optionally behind htpasswd basic auth.
//! Dropping the [`LocalRegistry`] kills the process and deletes the storage.
//!
//! Standard library only, so that it compiles unchanged in every crate that includes it: drydock-tests
//! declares it as `pub mod registry`, drydock-package's tests include the same file with `#[path]` (building
//! drydock-tests builds the whole server).
//!
//! `cargo xtask test` installs the package when `/usr/bin/docker-registry` is missing (as root, with apt-get);
//! otherwise [`LocalRegistry::start`] fails saying how to install it.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Where Debian's package installs the registry.
pub const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

/// How long the registry may take to answer `GET /v2/` (it usually takes well under a second).
const START_DEADLINE: Duration = Duration::from_secs(20);

/// A running `docker-registry`, killed on drop.
pub struct LocalRegistry {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
    /// How long it took from spawn to the first answer of `GET /v2/`.
    pub started_in: Duration,
}

impl LocalRegistry {
    /// Starts a registry anyone may push to and pull from.
    pub fn start() -> Result<LocalRegistry, String> {
        Self::spawn(None)
    }

    /// Starts a registry that requires basic auth. `htpasswd_line` is `user:<bcrypt hash>` (distribution
    /// accepts only bcrypt); the caller makes it, so this file needs no bcrypt crate.
    pub fn start_with_htpasswd(htpasswd_line: &str) -> Result<LocalRegistry, String> {
        Self::spawn(Some(htpasswd_line))
    }

    /// `oci://127.0.0.1:<port>/<repository_and_tag>`.
    pub fn reference(&self, repository_and_tag: &str) -> String {
        format!("oci://{}/{repository_and_tag}", self.addr)
    }

    /// The registry's filesystem storage (`docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data`), for tests
    /// that tamper with what it serves.
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.join("storage")
    }

    /// What the registry has logged so far, to explain a failing test.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
    }

    fn spawn(htpasswd_line: Option<&str>) -> Result<LocalRegistry, String> {
        if !Path::new(REGISTRY_BINARY).is_file() {
            return Err(format!(
                "{REGISTRY_BINARY} is missing: install Debian's registry with `apt-get install -y docker-registry` \
                 (`cargo xtask test` does it when run as root)"
            ));
        }
        let dir = fresh_dir()?;
        let addr = free_loopback_port()?;
        let auth = match htpasswd_line {
            Some(line) => {
                let path = dir.join("htpasswd");
                std::fs::write(&path, format!("{line}\n")).map_err(|e| e.to_string())?;
                format!(
                    "auth:\n  htpasswd:\n    realm: drydock-test\n    path: {}\n",
                    path.display()
                )
            }
            None => String::new(),
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    \
             rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n  secret: drydock-test\n{auth}",
            dir.join("storage").display()
        );
        let config_path = dir.join("config.yml");
        std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.join("registry.log")).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let child = Command::new(REGISTRY_BINARY)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {REGISTRY_BINARY}: {e}"))?;
        let mut registry = LocalRegistry {
            child,
            addr,
            dir,
            started_in: Duration::ZERO,
        };
        registry.wait_until_up(started)?;
        registry.started_in = started.elapsed();
        Ok(registry)
    }

    /// Polls `GET /v2/` every 25 ms until it answers (200, or 401 behind auth), the process exits, or the
    /// deadline passes.
    fn wait_until_up(&mut self, started: Instant) -> Result<(), String> {
        while started.elapsed() < START_DEADLINE {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "docker-registry exited with {status}:\n{}",
                    self.log()
                ));
            }
            if v2_answers(self.addr) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Err(format!(
            "docker-registry did not answer GET /v2/ on {} within {START_DEADLINE:?}:\n{}",
            self.addr,
            self.log()
        ))
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether `GET /v2/` gets an HTTP status line back.
fn v2_answers(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let request = format!("GET /v2/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok()
        && (head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.1 401"))
}

/// A port the kernel just handed out and released. Another process could take it before the registry binds
/// it; the registry then exits and the start fails with its log, which is rare enough for tests.
fn free_loopback_port() -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map_err(|e| e.to_string())
}

fn fresh_dir() -> Result<PathBuf, String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "drydock-registry-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("storage")).map_err(|e| e.to_string())?;
    Ok(dir)
}
