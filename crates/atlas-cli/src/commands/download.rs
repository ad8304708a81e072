//! `download`: ask Atlas for a flex snapshot's download link, then stream the archive to a file
//! (through `FILE.part`, renamed when complete) or to stdout, resuming a cut transfer by
//! itself. A progress bar with bytes, rate and ETA on a terminal; nothing on a pipe.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use atlas_snapshots::{
    DownloadProgress, DownloadSummary, Error, FileWrites, Overwrite, SnapshotId,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{DownloadArgs, KindArg};
use crate::duration::format_elapsed;
use crate::errors::{CliError, Exit};
use crate::failure::describe;
use crate::output::Ui;

/// How the transfer ended.
enum Outcome {
    Done(Result<DownloadSummary, Error>),
    Interrupted(PathBuf),
}

/// Where the archive goes.
enum Destination {
    Stdout,
    File(PathBuf),
}

pub(super) async fn run(args: DownloadArgs, ui: Ui) -> Result<Exit, CliError> {
    match args.cluster.forced_kind() {
        Some(KindArg::Tenant) => {
            return Err(
                CliError::usage("download works on flex clusters, not with --kind tenant")
                    .with_hint(
                        "M2/M5 clusters became flex clusters in 2025-2026: leave out --kind tenant",
                    ),
            );
        }
        Some(KindArg::Dedicated) => {
            return Err(CliError::usage(
                "download works on flex clusters, not with --kind dedicated",
            )
            .with_hint(
                "a dedicated cluster's snapshots are shown by get, list and wait, taken by take and deleted by delete",
            ));
        }
        _ => {}
    }
    let given = super::snapshot_or_latest(args.snapshot.given(), args.latest)?;
    let destination = match &args.output_file {
        Some(p) if p.as_os_str() == "-" => Destination::Stdout,
        Some(p) => Destination::File(p.clone()),
        None => Destination::File(PathBuf::new()),
    };
    if let (Destination::File(p), Some(id)) = (&destination, &given) {
        let p = if p.as_os_str().is_empty() {
            default_file(id)
        } else {
            p.clone()
        };
        refuse_existing(&p, args.force)?;
    }
    let limit = args.timeout.duration();
    let mut session = super::connect(&args.conn, &args.cluster, ui, limit)?;
    session.target.scope = crate::failure::Scope::Command {
        name: "download",
        kind: KindArg::Flex,
    };
    let s = &session;
    let work = async {
        let snapshot_id = match given {
            Some(id) => id,
            None => {
                let latest = s
                    .client
                    .flex_snapshots()
                    .latest(&s.group, &s.cluster)
                    .items_per_page(500)
                    .send()
                    .await
                    .map_err(|e| describe(&e, &s.target))?;
                let id = latest.snapshot.value().id.clone().ok_or_else(|| {
                    CliError::new(Exit::Api, "the newest COMPLETED snapshot has no id")
                })?;
                tracing::info!(%id, "the newest COMPLETED snapshot");
                id
            }
        };
        let destination = match destination {
            Destination::File(p) if p.as_os_str().is_empty() => {
                let p = default_file(&snapshot_id);
                refuse_existing(&p, args.force)?;
                Destination::File(p)
            }
            d => d,
        };
        let job = s
            .client
            .flex_snapshots()
            .download(&s.group, &s.cluster, &snapshot_id)
            .send()
            .await
            .map_err(|e| describe(&e, &s.target))?;
        tracing::info!(job = ?job.id, status = ?job.status, url = ?job.snapshot_url, "download job");
        let Some(url) = job.snapshot_url.clone() else {
            return Err(CliError::new(
                Exit::Api,
                format!("Atlas answered the download request of snapshot {snapshot_id} without a snapshotUrl"),
            )
            .with_hint("try again in a moment; if it persists, check the snapshot in Atlas"));
        };
        let bar = progress_bar(ui);
        let started = Instant::now();
        let b = bar.clone();
        let download = s
            .client
            .download_archive(&url)
            .max_retries(args.retries)
            // The CLI runs nothing else on its thread while it downloads: writing inline reuses
            // the body's read buffer and wakes no writer thread per chunk (less CPU per byte).
            .file_writes(FileWrites::Inline)
            .on_progress(move |p: &DownloadProgress| {
                if let Some(bar) = &b {
                    if let Some(t) = p.total {
                        bar.set_length(t);
                    }
                    bar.set_position(p.received);
                    if p.resumes > 0 {
                        bar.set_message(format!("(resumed {}x)", p.resumes));
                    }
                }
            });
        let outcome = match &destination {
            Destination::Stdout => {
                let mut out = tokio::io::stdout();
                Outcome::Done(download.to_writer(&mut out).await)
            }
            Destination::File(p) => {
                let overwrite = if args.force {
                    Overwrite::Replace
                } else {
                    Overwrite::Refuse
                };
                let mut part = p.clone().into_os_string();
                part.push(".part");
                let fut = download.to_file(p, overwrite);
                tokio::select! {
                    r = fut => Outcome::Done(r),
                    _ = tokio::signal::ctrl_c() => Outcome::Interrupted(PathBuf::from(part)),
                }
            }
        };
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        let result = match outcome {
            Outcome::Done(r) => r,
            Outcome::Interrupted(part) => {
                // The transfer was dropped mid-way: its .part file is ours to remove.
                let _ = std::fs::remove_file(&part);
                return Err(CliError::new(
                    Exit::Network,
                    "interrupted; the partial file was removed",
                ));
            }
        };
        let summary: DownloadSummary = result.map_err(|e| describe(&e, &s.target))?;
        if ui.stderr_tty {
            let to = match &summary.path {
                Some(p) => p.display().to_string(),
                None => "standard output".to_owned(),
            };
            eprintln!(
                "✓ snapshot {snapshot_id}: {} written to {to} in {}{}",
                human_bytes(summary.bytes),
                format_elapsed(started.elapsed()),
                match summary.resumes {
                    0 => String::new(),
                    n => format!(" ({n} resumes)"),
                }
            );
        }
        tracing::info!(
            bytes = summary.bytes,
            resumes = summary.resumes,
            "download done"
        );
        Ok(Exit::Ok)
    };
    super::within(limit, work).await
}

/// `<snapshot-id>.tgz` in the current directory.
fn default_file(id: &SnapshotId) -> PathBuf {
    PathBuf::from(format!("{id}.tgz"))
}

fn refuse_existing(path: &std::path::Path, force: bool) -> Result<(), CliError> {
    if !force && path.symlink_metadata().is_ok() {
        return Err(
            CliError::usage(format!("{} already exists", path.display()))
                .with_hint("pass --force to replace it, or --output-file to write elsewhere"),
        );
    }
    Ok(())
}

/// A bar with bytes, rate and ETA on a terminal; none otherwise.
fn progress_bar(ui: Ui) -> Option<ProgressBar> {
    if !ui.stderr_tty {
        return None;
    }
    let template = if ui.color_err() {
        "{spinner:.cyan} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}"
    } else {
        "{spinner} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}"
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bar = ProgressBar::new(0).with_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// `1.5 GiB`, `300 KiB`, `12 B`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(1 << 30), "1.0 GiB");
    }
}
