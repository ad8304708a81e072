//! Terminal detection, colors and json output (tables are in `tables.rs`).

use std::io::{IsTerminal, Write};

use atlas_model::{CloudSnapshotStatus, SnapshotPhase, SnapshotStatus};

use crate::cli::{GlobalArgs, OutputFormat};

/// What the process is attached to, and how to print.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ui {
    /// stdout is a terminal.
    pub(crate) stdout_tty: bool,
    /// stderr is a terminal.
    pub(crate) stderr_tty: bool,
    /// stdin is a terminal (the private key may be prompted for).
    pub(crate) stdin_tty: bool,
    /// Colors allowed at all (no `--no-color`, no `NO_COLOR`).
    pub(crate) color: bool,
    /// The output format in effect.
    pub(crate) format: OutputFormat,
}

impl Ui {
    /// Looks at the real streams and environment.
    pub(crate) fn detect(global: &GlobalArgs) -> Ui {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ui::new(
            global,
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
            std::io::stdin().is_terminal(),
            no_color_env,
        )
    }

    /// Decides from given facts.
    pub(crate) fn new(
        global: &GlobalArgs,
        stdout_tty: bool,
        stderr_tty: bool,
        stdin_tty: bool,
        no_color_env: bool,
    ) -> Ui {
        let format = global.output.unwrap_or(if stdout_tty {
            OutputFormat::Table
        } else {
            OutputFormat::Json
        });
        Ui {
            stdout_tty,
            stderr_tty,
            stdin_tty,
            color: !global.no_color && !no_color_env,
            format,
        }
    }

    /// Colors on stdout.
    pub(crate) fn color_out(&self) -> bool {
        self.color && self.stdout_tty
    }

    /// Colors on stderr.
    pub(crate) fn color_err(&self) -> bool {
        self.color && self.stderr_tty
    }
}

/// Writes `bytes` to stdout and flushes; a closed pipe (`| head`) is not an error worth a message.
pub(crate) fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The API's JSON for stdout: exactly as received when piped (or when Atlas already
/// pretty-printed it), pretty-printed with the same key order on a terminal.
pub(crate) fn json_bytes(body: &[u8], stdout_tty: bool, already_pretty: bool) -> Vec<u8> {
    if !stdout_tty {
        return body.to_vec();
    }
    let mut out = if already_pretty {
        body.to_vec()
    } else {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) => serde_json::to_vec_pretty(&v).unwrap_or_else(|_| body.to_vec()),
            Err(_) => body.to_vec(),
        }
    };
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
}

/// The phase of a status as text, in either vocabulary: `RUNNING` (tenant, flex, restore jobs)
/// or `inProgress` (dedicated clusters).
pub(crate) fn phase_of(status: &str) -> SnapshotPhase {
    match SnapshotStatus::from(status).phase() {
        SnapshotPhase::Other => CloudSnapshotStatus::from(status).phase(),
        known => known,
    }
}

/// ANSI color of a status, by its phase: green completed, red failed, yellow queued or
/// running; a status of no known phase is left plain.
pub(crate) fn paint_status(status: &str, color: bool) -> String {
    if !color {
        return status.to_owned();
    }
    let code = match phase_of(status) {
        SnapshotPhase::Completed => "32",
        SnapshotPhase::Failed => "31",
        SnapshotPhase::Queued | SnapshotPhase::Running => "33",
        _ => return status.to_owned(),
    };
    format!("\x1b[{code}m{status}\x1b[0m")
}

/// Bold text when `color`.
pub(crate) fn bold(text: &str, color: bool) -> String {
    if color {
        format!("\x1b[1m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"{"finishTime":"2019-04-26T14:08:07Z","id":"5cc310ace5dc7ce369814bc8","mongoDBVersion":"4.2.7","scheduledTime":"2019-04-26T12:00:00Z","startTime":"2019-04-26T14:07:53Z","status":"FAILED"}"#;

    fn global(output: Option<OutputFormat>, no_color: bool) -> GlobalArgs {
        GlobalArgs {
            output,
            verbose: 0,
            no_color,
        }
    }

    #[test]
    fn default_format_follows_the_terminal() {
        assert_eq!(
            Ui::new(&global(None, false), true, true, true, false).format,
            OutputFormat::Table
        );
        assert_eq!(
            Ui::new(&global(None, false), false, true, true, false).format,
            OutputFormat::Json
        );
        let ui = Ui::new(
            &global(Some(OutputFormat::Json), false),
            true,
            true,
            true,
            false,
        );
        assert_eq!(ui.format, OutputFormat::Json);
        assert!(ui.color_out());
        assert!(!Ui::new(&global(None, true), true, true, true, false).color_out());
        assert!(!Ui::new(&global(None, false), true, true, true, true).color_err());
        assert!(!Ui::new(&global(None, false), false, true, true, false).color_out());
    }

    #[test]
    fn json_is_verbatim_when_piped_and_pretty_in_order_on_a_terminal() {
        assert_eq!(json_bytes(SEED.as_bytes(), false, false), SEED.as_bytes());
        let pretty = String::from_utf8(json_bytes(SEED.as_bytes(), true, false)).unwrap();
        assert!(pretty.starts_with("{\n  \"finishTime\": \"2019-04-26T14:08:07Z\",\n  \"id\""));
        assert!(pretty.ends_with("}\n"));
        let not_json = json_bytes(b"<html>", true, false);
        assert_eq!(not_json, b"<html>\n");
    }

    #[test]
    fn statuses_of_every_kind_are_painted_by_phase() {
        for (status, code) in [
            ("COMPLETED", "32"),
            ("completed", "32"),
            ("FAILED", "31"),
            ("failed", "31"),
            ("PENDING", "33"),
            ("queued", "33"),
            ("inProgress", "33"),
            ("RUNNING", "33"),
        ] {
            assert_eq!(
                paint_status(status, true),
                format!("\x1b[{code}m{status}\x1b[0m")
            );
            assert_eq!(paint_status(status, false), status);
        }
        assert_eq!(paint_status("deleting", true), "deleting");
        assert_eq!(phase_of("inProgress"), SnapshotPhase::Running);
        assert_eq!(phase_of("QUEUED"), SnapshotPhase::Queued);
    }
}
