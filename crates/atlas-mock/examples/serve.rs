//! Runs the mock until Ctrl-C or SIGTERM, like `atlas-snapshots mock`.
//!
//! `cargo run -p atlas-mock --example serve -- [LISTEN] [--data FILE] [--tls-ca-out FILE] [--sunset] [--nonce-lifetime-ms N]`

use std::time::Duration;

use atlas_mock::{DigestSettings, MockError, ServeOptions, serve_until_signal};

#[tokio::main]
async fn main() -> Result<(), MockError> {
    let mut args = std::env::args().skip(1);
    let mut opts = ServeOptions::new(
        "127.0.0.1:8080"
            .parse()
            .map_err(|_| MockError::InvalidConfig("listen".into()))?,
    );
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tls-ca-out" => opts.tls_ca_out = args.next().map(Into::into),
            "--data" => opts.data = args.next().map(Into::into),
            "--sunset" => opts.sunset = true,
            "--noauth" => opts.unauthenticated_route = true,
            "--nonce-lifetime-ms" => {
                let ms = args.next().and_then(|v| v.parse().ok()).unwrap_or(300_000);
                opts.digest =
                    Some(DigestSettings::default().nonce_lifetime(Duration::from_millis(ms)));
            }
            other => {
                opts.listen = other.parse().map_err(|_| {
                    MockError::InvalidConfig(format!("bad listen address {other:?}"))
                })?;
            }
        }
    }
    serve_until_signal(opts, &mut std::io::stdout()).await
}
