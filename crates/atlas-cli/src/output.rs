//! Terminal detection, colors, json and table rendering.

use std::io::{IsTerminal, Write};

use atlas_model::{RestoreJob, SnapshotStatus, TenantSnapshot, format_timestamp};

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

/// ANSI color of a status: green COMPLETED, red FAILED, yellow in progress.
pub(crate) fn paint_status(status: &str, color: bool) -> String {
    if !color {
        return status.to_owned();
    }
    let code = match SnapshotStatus::from(status) {
        SnapshotStatus::Completed => "32",
        SnapshotStatus::Failed => "31",
        SnapshotStatus::Queued | SnapshotStatus::Running | SnapshotStatus::Pending => "33",
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

fn status_text(s: &TenantSnapshot) -> String {
    s.status
        .as_ref()
        .map_or_else(|| "-".to_owned(), |st| st.as_str().to_owned())
}

fn time_text(t: Option<&chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(|| "-".to_owned(), format_timestamp)
}

/// One snapshot, one field per line.
pub(crate) fn snapshot_details(s: &TenantSnapshot, color: bool) -> String {
    let mut rows: Vec<(String, String)> = vec![
        (
            "ID".into(),
            s.id.as_ref().map_or("-".into(), |i| i.to_string()),
        ),
        ("STATUS".into(), status_text(s)),
        (
            "MONGODB VERSION".into(),
            s.mongodb_version.clone().unwrap_or_else(|| "-".into()),
        ),
        ("SCHEDULED".into(), time_text(s.scheduled_time.as_ref())),
        ("STARTED".into(), time_text(s.start_time.as_ref())),
        ("FINISHED".into(), time_text(s.finish_time.as_ref())),
    ];
    if let Some(exp) = &s.expiration {
        rows.push(("EXPIRES".into(), format_timestamp(exp)));
    }
    for (k, v) in &s.extra {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        rows.push((k.clone(), text));
    }
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        let value = if k == "STATUS" {
            paint_status(&v, color)
        } else {
            v
        };
        let pad = width - k.chars().count();
        out.push_str(&bold(&k, color));
        out.push_str(&" ".repeat(pad + 2));
        out.push_str(&value);
        out.push('\n');
    }
    out
}

/// One restore job, one field per line (the link's signature hidden).
pub(crate) fn restore_job_details(j: &RestoreJob, color: bool) -> String {
    let text = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let mut rows: Vec<(String, String)> = vec![
        ("ID".into(), text(j.id.as_ref().map(ToString::to_string))),
        (
            "STATUS".into(),
            text(j.status.as_ref().map(ToString::to_string)),
        ),
        (
            "DELIVERY".into(),
            text(j.delivery_type.as_ref().map(ToString::to_string)),
        ),
        (
            "SNAPSHOT".into(),
            text(j.snapshot_id.as_ref().map(ToString::to_string)),
        ),
        ("SOURCE".into(), text(j.instance_name.clone())),
        (
            "TARGET".into(),
            text(
                j.target_deployment_item_name
                    .as_ref()
                    .map(ToString::to_string),
            ),
        ),
        (
            "TARGET PROJECT".into(),
            text(j.target_project_id.as_ref().map(ToString::to_string)),
        ),
        (
            "SCHEDULED".into(),
            time_text(j.restore_scheduled_date.as_ref()),
        ),
        (
            "FINISHED".into(),
            time_text(j.restore_finished_date.as_ref()),
        ),
    ];
    if let Some(url) = &j.snapshot_url {
        rows.push(("LINK".into(), url.to_string()));
    }
    if let Some(exp) = &j.expiration_date {
        rows.push(("EXPIRES".into(), format_timestamp(exp)));
    }
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        let value = if k == "STATUS" {
            paint_status(&v, color)
        } else {
            v
        };
        out.push_str(&bold(&k, color));
        out.push_str(&" ".repeat(width - k.chars().count() + 2));
        out.push_str(&value);
        out.push('\n');
    }
    out
}

/// Restore jobs as rows, with a header.
pub(crate) fn restore_job_table(jobs: &[RestoreJob], color: bool) -> String {
    let header = ["ID", "STATUS", "DELIVERY", "SNAPSHOT", "TARGET", "FINISHED"];
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            let t = |v: Option<String>| v.unwrap_or_else(|| "-".into());
            vec![
                t(j.id.as_ref().map(ToString::to_string)),
                t(j.status.as_ref().map(ToString::to_string)),
                t(j.delivery_type.as_ref().map(ToString::to_string)),
                t(j.snapshot_id.as_ref().map(ToString::to_string)),
                t(j.target_deployment_item_name
                    .as_ref()
                    .map(ToString::to_string)),
                time_text(j.restore_finished_date.as_ref()),
            ]
        })
        .collect();
    table(&header, &rows, color)
}

/// Rows under a bold header, columns padded; the second column painted as a status.
fn table(header: &[&str], rows: &[Vec<String>], color: bool) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String], head: bool| {
        let last = cells.len() - 1;
        for (i, cell) in cells.iter().enumerate() {
            let text = if head {
                bold(cell, color)
            } else if i == 1 {
                paint_status(cell, color)
            } else {
                cell.clone()
            };
            out.push_str(&text);
            if i != last {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push('\n');
    };
    line(
        &header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>(),
        true,
    );
    for row in rows {
        line(row, false);
    }
    out
}

/// Snapshots as rows, with a header.
pub(crate) fn snapshot_table(snaps: &[TenantSnapshot], color: bool) -> String {
    let header = [
        "ID",
        "STATUS",
        "MONGODB",
        "SCHEDULED",
        "STARTED",
        "FINISHED",
    ];
    let rows: Vec<[String; 6]> = snaps
        .iter()
        .map(|s| {
            [
                s.id.as_ref().map_or("-".into(), |i| i.to_string()),
                status_text(s),
                s.mongodb_version.clone().unwrap_or_else(|| "-".into()),
                time_text(s.scheduled_time.as_ref()),
                time_text(s.start_time.as_ref()),
                time_text(s.finish_time.as_ref()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String, header: bool| {
        let last = cells.len() - 1;
        for (i, cell) in cells.iter().enumerate() {
            let text = if header {
                bold(cell, color)
            } else if i == 1 {
                paint_status(cell, color)
            } else {
                cell.clone()
            };
            out.push_str(&text);
            if i != last {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push('\n');
    };
    line(&header.map(str::to_owned), &mut out, true);
    for row in &rows {
        line(row, &mut out, false);
    }
    out
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
    fn table_and_details() {
        let snap = atlas_model::parse_snapshot(SEED).unwrap();
        let t = snapshot_table(std::slice::from_ref(&snap), false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("ID  "));
        assert!(lines[1].starts_with("5cc310ace5dc7ce369814bc8  FAILED  4.2.7"));
        assert_eq!(lines[0].find("STATUS"), lines[1].find("FAILED"));
        let d = snapshot_details(&snap, false);
        assert!(d.contains("STATUS           FAILED\n"), "{d}");
        let colored = snapshot_details(&snap, true);
        assert!(colored.contains("\x1b[31mFAILED\x1b[0m"));
    }
}
