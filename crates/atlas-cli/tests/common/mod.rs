//! Shared setup: a mock started in the test process, and the real binary pointed at it with a
//! clean environment.

#![allow(dead_code, unreachable_pub)]

pub mod pty;
pub mod scripted;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
pub use atlas_mock::seed;
use atlas_mock::{MockAtlas, MockBuilder, MockHandle};

/// Every variable the command reads, removed so that the developer's own settings never leak in.
const CLEARED: &[&str] = &[
    "MONGODB_ATLAS_PUBLIC_API_KEY",
    "MONGODB_ATLAS_PRIVATE_API_KEY",
    "MONGODB_ATLAS_PROJECT_ID",
    "MONGODB_ATLAS_BASE_URL",
    "MONGODB_ATLAS_OPS_MANAGER_URL",
    "MONGODB_ATLAS_CLIENT_ID",
    "MONGODB_ATLAS_CLIENT_SECRET",
    "MONGODB_ATLAS_ACCESS_TOKEN",
    "XDG_CACHE_HOME",
    "RUST_LOG",
    "NO_COLOR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// A running mock plus a private config directory.
pub struct TestMock {
    pub handle: MockHandle,
    pub config_home: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

impl TestMock {
    /// The default mock (seed data, one generated key).
    pub fn start() -> TestMock {
        TestMock::start_with(MockAtlas::builder())
    }

    /// A mock from `builder`, started on its own runtime in this process.
    pub fn start_with(builder: MockBuilder) -> TestMock {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let handle = rt.block_on(builder.start()).expect("mock starts");
        TestMock {
            handle,
            config_home: tempfile::tempdir().expect("temp dir"),
            rt,
        }
    }

    /// The binary with no Atlas settings at all but an empty config home.
    pub fn bare_cmd(&self) -> Command {
        bare_cmd(self.config_home.path())
    }

    /// The binary with base URL, keys and project id of this mock in the environment.
    pub fn cmd(&self) -> Command {
        let mut c = self.bare_cmd();
        c.env("MONGODB_ATLAS_BASE_URL", self.handle.base_url())
            .env("MONGODB_ATLAS_PUBLIC_API_KEY", self.handle.public_key())
            .env("MONGODB_ATLAS_PRIVATE_API_KEY", self.handle.private_key())
            .env("MONGODB_ATLAS_PROJECT_ID", seed::GROUP_ID);
        c
    }

    /// Writes `$XDG_CONFIG_HOME/atlascli/config.toml`.
    pub fn write_config(&self, text: &str) -> PathBuf {
        let dir = self.config_home.path().join("atlascli");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The bytes the mock sends for `path_and_query`, read with a bare HTTP/1.0 request on the
    /// mock's `/noauth` route (needs `unauthenticated_route(true)`): an independent reading,
    /// through no code of ours.
    pub fn raw_body(&self, path_and_query: &str) -> Vec<u8> {
        raw_http_get(
            self.handle.addr(),
            &format!("/noauth{path_and_query}"),
            "application/json",
        )
    }

    /// The files ending in `.{ext}` (not the locks) under `$HOME/.cache/atlas-snapshots/{kind}`,
    /// sorted; none if the directory does not exist.
    pub fn cache_files(&self, kind: &str, ext: &str) -> Vec<PathBuf> {
        let dir = self
            .config_home
            .path()
            .join(".cache/atlas-snapshots")
            .join(kind);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut v: Vec<PathBuf> = rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect();
        v.sort();
        v
    }
}

/// The binary with a clean environment and `config_home` as `XDG_CONFIG_HOME` and `HOME`.
pub fn bare_cmd(config_home: &Path) -> Command {
    let mut c = Command::cargo_bin("atlas-snapshots").expect("binary built");
    for var in CLEARED {
        c.env_remove(var);
    }
    c.env("XDG_CONFIG_HOME", config_home)
        .env("HOME", config_home)
        .timeout(std::time::Duration::from_secs(60));
    c
}

/// `GET path` over a plain TCP connection, HTTP/1.0, returning the body.
pub fn raw_http_get(addr: std::net::SocketAddr, path: &str, accept: &str) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connect to the mock");
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    s.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    assert!(head.starts_with("HTTP/1."), "{head}");
    assert!(head.contains(" 200 "), "{head}");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    response[split + 4..].to_vec()
}

/// The seed snapshot's v1.0 path.
pub fn seed_path() -> String {
    format!(
        "/api/atlas/v1.0/groups/{}/clusters/{}/backup/tenant/snapshots/{}",
        seed::GROUP_ID,
        seed::CLUSTER_NAME,
        seed::SNAPSHOT_ID
    )
}

/// `get` arguments for the seed snapshot (group from the environment).
pub fn get_seed_args() -> [&'static str; 5] {
    [
        "get",
        "--cluster-name",
        seed::CLUSTER_NAME,
        "--snapshot-id",
        seed::SNAPSHOT_ID,
    ]
}

/// stdout of a finished command as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
