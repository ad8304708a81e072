//! What the `atlas-snapshots mock` command runs.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::{ApiKey, Dataset, DigestSettings, MockAtlas, MockError, MockHandle, seed};

/// Options of the `mock` command (the CLI maps its flags onto this; no clap here).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Public key; generated when absent (then the private key is generated too).
    pub public_key: Option<String>,
    /// Private key; required when `public_key` is given.
    pub private_key: Option<String>,
    /// JSON data file (see [`Dataset`]); the seed data when absent.
    pub data: Option<PathBuf>,
    /// Serve HTTPS and write the CA certificate (PEM) here.
    pub tls_ca_out: Option<PathBuf>,
    /// "After sunset" mode: the tenant endpoints answer `410 VERSION_GONE`.
    pub sunset: bool,
    /// Also serve the routes without authentication under `/noauth`.
    pub unauthenticated_route: bool,
    /// Digest settings.
    pub digest: DigestSettings,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("listen", &self.listen)
            .field("public_key", &self.public_key)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "** redacted **"),
            )
            .field("data", &self.data)
            .field("tls_ca_out", &self.tls_ca_out)
            .field("sunset", &self.sunset)
            .field("unauthenticated_route", &self.unauthenticated_route)
            .field("digest", &self.digest)
            .finish()
    }
}

impl ServeOptions {
    /// Defaults for `listen`: generated keys, seed data, plain HTTP, before sunset.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            public_key: None,
            private_key: None,
            data: None,
            tls_ca_out: None,
            sunset: false,
            unauthenticated_route: false,
            digest: DigestSettings::default(),
        }
    }
}

/// Starts the mock from `opts`, writes what a user needs to `out`, and runs until `shutdown` resolves.
pub async fn serve_until<F: std::future::Future<Output = ()>>(
    opts: ServeOptions,
    out: &mut impl Write,
    shutdown: F,
) -> Result<(), MockError> {
    let handle = start(&opts).await?;
    write_banner(&handle, &opts, out)?;
    shutdown.await;
    writeln!(out, "atlas-mock: shutting down")?;
    out.flush()?;
    handle.shutdown().await;
    Ok(())
}

/// Starts the mock from `opts`, prints its base URL, keys and a ready `curl --digest` line to `out`,
/// and serves until Ctrl-C.
pub async fn serve_until_ctrl_c(opts: ServeOptions, out: &mut impl Write) -> Result<(), MockError> {
    let handle = start(&opts).await?;
    write_banner(&handle, &opts, out)?;
    tokio::signal::ctrl_c().await?;
    writeln!(out, "atlas-mock: shutting down")?;
    out.flush()?;
    handle.shutdown().await;
    Ok(())
}

async fn start(opts: &ServeOptions) -> Result<MockHandle, MockError> {
    let mut b = MockAtlas::builder()
        .listen(opts.listen)
        .sunset(opts.sunset)
        .tls(opts.tls_ca_out.is_some())
        .unauthenticated_route(opts.unauthenticated_route)
        .digest(opts.digest.clone());
    match (&opts.public_key, &opts.private_key) {
        (Some(p), Some(k)) => b = b.api_key(ApiKey::new(p, k)),
        (None, None) => {}
        _ => {
            return Err(MockError::InvalidConfig(
                "give both the public and the private key, or neither (then a pair is generated)"
                    .into(),
            ));
        }
    }
    if let Some(path) = &opts.data {
        b = b.dataset(Dataset::from_file(path)?);
    }
    let handle = b.start().await?;
    if let (Some(path), Some(pem)) = (&opts.tls_ca_out, handle.ca_pem()) {
        std::fs::write(path, pem).map_err(|source| MockError::WriteFile {
            path: path.clone(),
            source,
        })?;
    }
    Ok(handle)
}

fn write_banner(
    h: &MockHandle,
    opts: &ServeOptions,
    out: &mut impl Write,
) -> Result<(), MockError> {
    writeln!(out, "atlas-mock listening on {}", h.base_url())?;
    writeln!(out, "  public key:  {}", h.public_key())?;
    writeln!(out, "  private key: {}", h.private_key())?;
    if let Some(path) = &opts.tls_ca_out {
        writeln!(out, "  CA certificate written to {}", path.display())?;
    }
    if opts.sunset {
        writeln!(
            out,
            "  sunset mode: the tenant endpoints answer 410 VERSION_GONE"
        )?;
    }
    writeln!(
        out,
        "  seed: group {} cluster {} snapshot {} (flex cluster {})",
        seed::GROUP_ID,
        seed::CLUSTER_NAME,
        seed::SNAPSHOT_ID,
        seed::FLEX_CLUSTER_NAME
    )?;
    writeln!(out, "try:")?;
    let line = match &opts.tls_ca_out {
        Some(p) => h.curl_example_with_ca(p),
        None => h.curl_example(),
    };
    writeln!(out, "  {line}")?;
    writeln!(out, "Ctrl-C to stop")?;
    out.flush()?;
    Ok(())
}
