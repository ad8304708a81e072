//! `-v`/`-vv`/`-vvv`: tracing to stderr, with every known secret replaced before it is written.
//!
//! The libraries never log secrets; this is the second line of defence: the private key (once
//! resolved) is registered with [`register_secret`], and the writer replaces any occurrence of it
//! with `** redacted **`, whatever event or span field carried it.

use std::io::Write;
use std::sync::{Mutex, PoisonError};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The redaction text.
pub(crate) const REDACTED: &str = "** redacted **";

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Makes `secret` unprintable in logs from now on. Secrets shorter than 4 characters are not
/// registered (they would redact ordinary words).
pub(crate) fn register_secret(secret: &str) {
    if secret.len() >= 4 {
        let mut list = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
        if !list.iter().any(|s| s == secret) {
            list.push(secret.to_owned());
        }
    }
}

/// `text` with every registered secret replaced.
pub(crate) fn redact(text: &str) -> String {
    let list = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    let mut out = text.to_owned();
    for s in list.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), REDACTED);
        }
    }
    out
}

/// The filter for a `-v` count; `RUST_LOG`, when set, wins.
pub(crate) fn filter_for(verbosity: u8) -> String {
    match verbosity {
        // The command reports what matters itself (deprecation and sunset included).
        0 => "error".to_owned(),
        1 => "info".to_owned(),
        2 => "info,atlas_snapshots=debug,atlas_transport=debug,atlas_digest=debug,atlas_mock=debug"
            .to_owned(),
        _ => "trace".to_owned(),
    }
}

/// Installs the subscriber. Call once, before anything logs.
pub(crate) fn init(verbosity: u8, color: bool) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(filter_for(verbosity)));
    // Ignore the error of a second initialisation (tests, demo inside a process that has one).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingStderr)
        .with_ansi(color)
        .with_target(true)
        .try_init();
}

/// Makes one [`RedactingWriter`] per event.
#[derive(Debug, Clone, Copy)]
struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingWriter;
    fn make_writer(&'a self) -> RedactingWriter {
        RedactingWriter { buf: Vec::new() }
    }
}

/// Collects one formatted event and writes it, redacted, to stderr when dropped, so that a
/// secret split across two `write` calls is still found.
#[derive(Debug)]
struct RedactingWriter {
    buf: Vec<u8>,
}

impl Write for RedactingWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingWriter {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = redact(&String::from_utf8_lossy(&self.buf));
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_replaced() {
        register_secret("abc");
        register_secret("s3cr3t-private-key");
        assert_eq!(
            redact("Authorization for s3cr3t-private-key abc"),
            "Authorization for ** redacted ** abc"
        );
    }

    #[test]
    fn filters_parse() {
        for v in 0..4 {
            assert!(EnvFilter::try_new(filter_for(v)).is_ok());
        }
    }
}
