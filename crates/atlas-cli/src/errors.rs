//! What the command says when something goes wrong: one sentence, a hint, an exit code.

use std::fmt;
use std::process::ExitCode;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 0: success.
    Ok,
    /// 1: the API answered with an error.
    Api,
    /// 2: usage (also clap's own code).
    Usage,
    /// 3: not found.
    NotFound,
    /// 4: authentication or authorization.
    Auth,
    /// 5: network or timeout.
    Network,
    /// 6: the snapshot is FAILED.
    SnapshotFailed,
}

impl Exit {
    /// The process exit code.
    pub(crate) fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Api => 1,
            Exit::Usage => 2,
            Exit::NotFound => 3,
            Exit::Auth => 4,
            Exit::Network => 5,
            Exit::SnapshotFailed => 6,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// An error as the user sees it.
#[derive(Debug, Clone)]
pub(crate) struct CliError {
    /// Exit code.
    pub(crate) exit: Exit,
    /// One sentence, no trailing period.
    pub(crate) message: String,
    /// What to do about it.
    pub(crate) hint: Option<String>,
}

impl CliError {
    pub(crate) fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError {
            exit,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CliError::new(Exit::Usage, message)
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Appends `context` to the message, after a space.
    pub(crate) fn with_context(mut self, context: impl AsRef<str>) -> Self {
        self.message.push(' ');
        self.message.push_str(context.as_ref());
        self
    }

    /// Writes `error: ...` and `hint: ...` lines (colored when `color`).
    pub(crate) fn render(&self, color: bool) -> String {
        let (red, yellow, reset) = if color {
            ("\x1b[1;31m", "\x1b[1;33m", "\x1b[0m")
        } else {
            ("", "", "")
        };
        let mut out = format!("{red}error:{reset} {}\n", self.message);
        if let Some(hint) = &self.hint {
            out.push_str(&format!("{yellow}hint:{reset} {hint}\n"));
        }
        out
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The error chain of `e` joined with `: `, skipping sources whose text is already included.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Whether any error in the chain is an `io::Error` of `kind`.
pub(crate) fn has_io_kind(e: &(dyn std::error::Error + 'static), kind: std::io::ErrorKind) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == kind {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_ones() {
        let all = [
            Exit::Ok,
            Exit::Api,
            Exit::Usage,
            Exit::NotFound,
            Exit::Auth,
            Exit::Network,
            Exit::SnapshotFailed,
        ];
        let codes: Vec<u8> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn render_plain_and_colored() {
        let e = CliError::new(Exit::Auth, "the API key was rejected").with_hint("check the keys");
        assert_eq!(
            e.render(false),
            "error: the API key was rejected\nhint: check the keys\n"
        );
        assert!(e.render(true).contains("\x1b[1;31merror:\x1b[0m"));
    }

    #[test]
    fn chain_skips_repeats() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("connect failed")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Outer(inner);
        assert_eq!(chain(&e), "connect failed: refused");
        assert!(has_io_kind(&e, std::io::ErrorKind::ConnectionRefused));
        assert!(!has_io_kind(&e, std::io::ErrorKind::TimedOut));
    }
}
