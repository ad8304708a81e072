//! `wait`: poll until the snapshot is completed (exit 0) or failed (exit 6), or the timeout
//! (exit 5), whatever the cluster's kind. A spinner with elapsed time and status on a terminal,
//! one line per status change otherwise.

use std::time::Duration;

use atlas_snapshots::{
    AnySnapshot, ClusterKind, PollOutcome, SnapshotId, SnapshotPhase, WaitEvent, WaitPoll, Watched,
};
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

    /// Reports one status change (lines mode: one line per change).
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

    /// Reports every poll: the spinner shows the latest poll and what it got; in lines mode
    /// only a retried error gets a line (status changes have theirs).
    pub(crate) fn poll<T: Watched>(&self, poll: &WaitPoll<'_, T>, last_status: &str) {
        let retry = match &poll.outcome {
            PollOutcome::Retrying(e) => Some(retrying_text(e, poll.next_poll_in)),
            _ => None,
        };
        match self {
            Progress::Spinner { bar, color } => {
                let status = match &poll.outcome {
                    PollOutcome::Value(s) => status_text(*s),
                    _ => last_status.to_owned(),
                };
                let mut msg = format!("{} (poll {})", paint_status(&status, *color), poll.polls);
                if let Some(r) = retry {
                    msg.push_str(&format!(", {r}"));
                }
                bar.set_message(msg);
            }
            Progress::Lines { .. } => {
                if let Some(r) = retry {
                    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
                    eprintln!(
                        "{now} {r} (poll {}, after {})",
                        poll.polls,
                        format_elapsed(poll.elapsed)
                    );
                }
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

fn status_of(s: &AnySnapshot) -> &str {
    s.status_str().unwrap_or("(no status)")
}

/// The status of anything waited for, as text.
pub(crate) fn status_text<T: Watched>(v: &T) -> String {
    v.status()
        .map_or_else(|| "(no status)".to_owned(), |s| s.to_string())
}

/// `retrying in 12.3s: Atlas server error 503 ...`, on one line.
fn retrying_text(e: &atlas_snapshots::Error, next: Option<Duration>) -> String {
    let first_line = |t: String| t.lines().next().unwrap_or_default().to_owned();
    let what = first_line(crate::logging::redact(&e.to_string()));
    match next {
        Some(d) => format!("retrying in {}: {what}", format_elapsed(d)),
        None => format!("no time left to retry: {what}"),
    }
}

pub(super) async fn run(args: WaitArgs, ui: Ui) -> Result<Exit, CliError> {
    let Some(raw) = args.snapshot.given() else {
        return Err(CliError::usage("no snapshot id")
            .with_hint("pass --snapshot-id ID, or the id as the first argument"));
    };
    let snapshot_id = super::snapshot_id(raw)?;
    let limit = args.timeout.duration();
    let session = super::connect(&args.conn, &args.cluster, ui, limit)?;
    let forced = args.cluster.forced_kind().map(super::kind_of);
    follow(&session, &snapshot_id, forced, args.interval, limit, ui).await
}

/// Polls one snapshot (on the `forced` kind's endpoints, or found by asking) until it is
/// completed (exit 0) or failed (exit 6), with the progress on stderr and the last poll's
/// answer on stdout; `limit` bounds the whole wait (exit 5).
pub(crate) async fn follow(
    s: &super::Session,
    snapshot_id: &SnapshotId,
    forced: Option<ClusterKind>,
    interval: Duration,
    limit: Option<Duration>,
    ui: Ui,
) -> Result<Exit, CliError> {
    let progress = Progress::new(ui, &format!("waiting for snapshot {snapshot_id}"));
    let started = std::time::Instant::now();
    let last_status = std::sync::Arc::new(std::sync::Mutex::new(String::from("...")));
    let on_change = {
        let progress = progress.clone();
        let last_status = last_status.clone();
        move |ev: &WaitEvent<AnySnapshot>| {
            let status = status_of(&ev.value).to_owned();
            progress.event(&status, ev.elapsed, ev.polls);
            *last_status
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = status;
        }
    };
    let on_poll = {
        let progress = progress.clone();
        move |poll: &WaitPoll<'_, AnySnapshot>| {
            let last = last_status
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            progress.poll(poll, &last);
        }
    };
    let mut wait = s
        .client
        .snapshots()
        .wait(&s.group, &s.cluster, snapshot_id)
        .interval(interval)
        .on_change(on_change)
        .on_poll(on_poll);
    if let Some(k) = forced {
        wait = wait.kind(k);
    }
    let result = match limit {
        Some(t) => wait.timeout(t),
        None => wait.no_timeout(),
    }
    .send_full()
    .await;
    let elapsed = format_elapsed(started.elapsed());
    let response = match result {
        Ok(response) => response,
        Err(e) => {
            progress.finish(None);
            return Err(describe(&e, &s.target));
        }
    };
    let snapshot = &response.value;
    tracing::info!(stats = ?s.client.stats(), kind = ?response.served_by.kind, "wait done");
    let phase = snapshot.phase();
    let status = status_of(snapshot);
    let summary = format!(
        "{} snapshot {snapshot_id} is {} after {elapsed}",
        if phase == Some(SnapshotPhase::Completed) {
            "✓"
        } else {
            "✗"
        },
        paint_status(status, ui.color_err()),
    );
    progress.finish(Some(&summary));
    // json: the last poll's body exactly as Atlas sent it (pretty-printed on a terminal).
    let text = match ui.format {
        OutputFormat::Json => output::json_bytes(&response.body, ui.stdout_tty, false),
        OutputFormat::Table => {
            crate::tables::snapshot_details(snapshot, ui.color_out()).into_bytes()
        }
    };
    super::print(&text)?;
    match phase {
        Some(SnapshotPhase::Completed) => Ok(Exit::Ok),
        Some(SnapshotPhase::Failed) => Err(CliError::new(
            Exit::SnapshotFailed,
            format!("snapshot {snapshot_id} {status}"),
        )
        .with_hint(
            "Atlas could not take this snapshot; check the cluster's activity feed in Atlas, and take a new one if needed",
        )),
        _ => Err(CliError::new(
            Exit::Api,
            format!("the wait ended with status {status}"),
        )),
    }
}
