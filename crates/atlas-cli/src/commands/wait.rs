//! `wait`: poll until the snapshot is COMPLETED (exit 0) or FAILED (exit 6), or the timeout
//! (exit 5). A spinner with elapsed time and status on a terminal, one line per status change
//! otherwise.

use std::time::Duration;

use atlas_model::{SnapshotStatus, TenantSnapshot};
use atlas_snapshots::WaitEvent;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{OutputFormat, WaitArgs};
use crate::duration::format_elapsed;
use crate::errors::{CliError, Exit};
use crate::failure::describe;
use crate::output::{self, Ui, paint_status};

/// How status changes are shown.
#[derive(Debug, Clone)]
pub(crate) enum Progress {
    /// An indicatif spinner on stderr.
    Spinner {
        /// The spinner.
        bar: ProgressBar,
        /// Colors on stderr.
        color: bool,
    },
    /// One line per status change on stderr.
    Lines {
        /// Colors on stderr.
        color: bool,
    },
}

impl Progress {
    /// A spinner when stderr is a terminal, lines otherwise.
    pub(crate) fn new(ui: Ui, what: &str) -> Progress {
        if !ui.stderr_tty {
            return Progress::Lines {
                color: ui.color_err(),
            };
        }
        let template = if ui.color_err() {
            "{spinner:.cyan} {prefix}: {msg}, {elapsed:.dim}"
        } else {
            "{spinner} {prefix}: {msg}, {elapsed}"
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✓");
        let bar = ProgressBar::new_spinner().with_style(style);
        bar.set_prefix(what.to_owned());
        bar.set_message("...");
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress::Spinner {
            bar,
            color: ui.color_err(),
        }
    }

    /// Reports one status change.
    pub(crate) fn event(&self, status: &str, elapsed: Duration, polls: u32) {
        match self {
            Progress::Spinner { bar, color } => {
                bar.set_message(format!("{} (poll {polls})", paint_status(status, *color)));
            }
            Progress::Lines { color } => {
                let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
                eprintln!(
                    "{now} {} after {} (poll {polls})",
                    paint_status(status, *color),
                    format_elapsed(elapsed)
                );
            }
        }
    }

    /// Ends the display with a summary line (spinner) or nothing more (lines).
    pub(crate) fn finish(&self, summary: Option<&str>) {
        if let Progress::Spinner { bar, .. } = self {
            bar.finish_and_clear();
            if let Some(s) = summary {
                eprintln!("{s}");
            }
        }
    }
}

fn status_of(s: &TenantSnapshot) -> &str {
    s.status
        .as_ref()
        .map_or("(no status)", SnapshotStatus::as_str)
}

pub(super) async fn run(args: WaitArgs, ui: Ui) -> Result<Exit, CliError> {
    let snapshot_id = super::snapshot_id(&args.snapshot_id)?;
    let session = super::connect(&args.conn, &args.cluster, ui, Some(args.timeout))?;
    let s = &session;
    let progress = Progress::new(ui, &format!("waiting for snapshot {snapshot_id}"));
    let started = std::time::Instant::now();
    let on_change = {
        let progress = progress.clone();
        move |ev: &WaitEvent| {
            progress.event(status_of(&ev.snapshot), ev.elapsed, ev.polls);
        }
    };
    let result = if args.cluster.flex {
        s.client
            .flex_snapshots()
            .wait(&s.group, &s.cluster, &snapshot_id)
            .interval(args.interval)
            .timeout(args.timeout)
            .on_change(on_change)
            .send()
            .await
    } else {
        s.client
            .tenant_snapshots()
            .wait(&s.group, &s.cluster, &snapshot_id)
            .interval(args.interval)
            .timeout(args.timeout)
            .on_change(on_change)
            .send()
            .await
    };
    let elapsed = format_elapsed(started.elapsed());
    let snapshot = match result {
        Ok(snap) => snap,
        Err(e) => {
            progress.finish(None);
            return Err(describe(&e, &s.target));
        }
    };
    tracing::info!(stats = ?s.client.stats(), "wait done");
    let status = snapshot.status.clone();
    let summary = format!(
        "{} snapshot {snapshot_id} is {} after {elapsed}",
        if status == Some(SnapshotStatus::Completed) {
            "✓"
        } else {
            "✗"
        },
        paint_status(status_of(&snapshot), ui.color_err()),
    );
    progress.finish(Some(&summary));
    let text = match ui.format {
        OutputFormat::Json => {
            let encoded = if ui.stdout_tty {
                serde_json::to_vec_pretty(&snapshot).map(|mut v| {
                    v.push(b'\n');
                    v
                })
            } else {
                serde_json::to_vec(&snapshot)
            };
            encoded
                .map_err(|e| CliError::new(Exit::Api, format!("cannot encode the snapshot: {e}")))?
        }
        OutputFormat::Table => output::snapshot_details(&snapshot, ui.color_out()).into_bytes(),
    };
    output::write_stdout(&text)
        .map_err(|e| CliError::new(Exit::Api, format!("cannot write to stdout: {e}")))?;
    match status {
        Some(SnapshotStatus::Completed) => Ok(Exit::Ok),
        Some(SnapshotStatus::Failed) => Err(CliError::new(
            Exit::SnapshotFailed,
            format!("snapshot {snapshot_id} FAILED"),
        )
        .with_hint(
            "Atlas could not take this snapshot; check the cluster's activity feed in Atlas, and take a new one if needed",
        )),
        other => Err(CliError::new(
            Exit::Api,
            format!(
                "the wait ended with status {}",
                other.as_ref().map_or("(none)", SnapshotStatus::as_str)
            ),
        )),
    }
}
