//! `restores list|get|start|wait`: a flex cluster's restore jobs.

use atlas_snapshots::{
    CreateRestoreJob, DeploymentName, GroupId, RestoreJob, RestoreJobId, RestoreJobPage,
    RestoreStatus, WaitEvent, WaitPoll,
};
use futures_util::TryStreamExt;

use super::list::{all_as_json, configure, page_footer, typed, write};
use super::wait::{Progress, status_text};
use crate::cli::{
    ClusterArgs, KindArg, OutputFormat, RestoreJobArgs, RestoresCommand, RestoresListArgs,
    RestoresStartArgs, RestoresWaitArgs,
};
use crate::duration::format_elapsed;
use crate::errors::{CliError, Exit};
use crate::failure::describe;
use crate::output::{self, Ui, paint_status};

pub(super) async fn run(cmd: RestoresCommand, ui: Ui) -> Result<Exit, CliError> {
    match cmd {
        RestoresCommand::List(a) => list(a, ui).await,
        RestoresCommand::Get(a) => get(a, ui).await,
        RestoresCommand::Start(a) => start(a, ui).await,
        RestoresCommand::Wait(a) => wait(a, ui).await,
    }
}

fn flex_only(cluster: &ClusterArgs) -> Result<(), CliError> {
    match cluster.forced_kind() {
        Some(KindArg::Tenant) => Err(CliError::usage(
            "restore jobs are for flex clusters, not --kind tenant",
        )
        .with_hint("M2/M5 clusters became flex clusters in 2025-2026: leave out --kind tenant")),
        Some(KindArg::Dedicated) => Err(CliError::usage(
            "`restores` serves flex clusters, not --kind dedicated",
        )
        .with_hint(
            "a dedicated cluster's snapshots are shown by get, list and wait, taken by take and deleted by delete",
        )),
        _ => Ok(()),
    }
}

/// Connects for a `restores` command: hints then speak of a flex-only command.
fn connect(
    conn: &crate::cli::ConnectionArgs,
    cluster: &ClusterArgs,
    ui: Ui,
    limit: Option<std::time::Duration>,
) -> Result<super::Session, CliError> {
    let mut session = super::connect(conn, cluster, ui, limit)?;
    session.target.scope = crate::failure::Scope::Command {
        name: "restores",
        kind: KindArg::Flex,
    };
    Ok(session)
}

fn job_id(raw: &str) -> Result<RestoreJobId, CliError> {
    raw.trim().parse().map_err(|e| {
        CliError::usage(format!("invalid --restore-job-id: {e}")).with_hint(
            "a restore job id is 24 lower-case hexadecimal characters, as `restores list` shows",
        )
    })
}

async fn list(args: RestoresListArgs, ui: Ui) -> Result<Exit, CliError> {
    flex_only(&args.cluster)?;
    let limit = args.timeout.and_then(|t| t.duration());
    let session = connect(&args.conn, &args.cluster, ui, limit)?;
    let s = &session;
    let request = || {
        let req = s.client.flex_restore_jobs().list(&s.group, &s.cluster);
        configure(req, args.items_per_page, args.page, ui)
    };
    if args.all {
        let pages: Vec<RestoreJobPage> = super::within(limit, async {
            request()
                .pages()
                .try_collect()
                .await
                .map_err(|e| describe(&e, &s.target))
        })
        .await?;
        let text = match ui.format {
            OutputFormat::Json => all_as_json(&pages, ui.stdout_tty)?,
            OutputFormat::Table => {
                let jobs = typed(&pages);
                let mut t = crate::tables::restore_job_table(&jobs, ui.color_out());
                t.push_str(&format!("{} restore jobs\n", jobs.len()));
                t.into_bytes()
            }
        };
        write(&text)?;
        return Ok(Exit::Ok);
    }
    let response = super::within(limit, async {
        request()
            .send_full()
            .await
            .map_err(|e| describe(&e, &s.target))
    })
    .await?;
    let text = match ui.format {
        OutputFormat::Json => output::json_bytes(&response.body, ui.stdout_tty, false),
        OutputFormat::Table => {
            let page = &response.value;
            let jobs = typed(std::slice::from_ref(page));
            let mut t = crate::tables::restore_job_table(&jobs, ui.color_out());
            t.push_str(&page_footer(page, "restore jobs"));
            t.into_bytes()
        }
    };
    write(&text)?;
    Ok(Exit::Ok)
}

async fn get(args: RestoreJobArgs, ui: Ui) -> Result<Exit, CliError> {
    flex_only(&args.cluster)?;
    let id = job_id(&args.restore_job_id)?;
    let limit = args.timeout.and_then(|t| t.duration());
    let session = connect(&args.conn, &args.cluster, ui, limit)?;
    let s = &session;
    let response = super::within(limit, async {
        s.client
            .flex_restore_jobs()
            .get(&s.group, &s.cluster, &id)
            .send_full()
            .await
            .map_err(|e| describe(&e, &s.target))
    })
    .await?;
    show(&response.body, &response.value, ui)?;
    Ok(Exit::Ok)
}

async fn start(args: RestoresStartArgs, ui: Ui) -> Result<Exit, CliError> {
    flex_only(&args.cluster)?;
    let snapshot_id = super::snapshot_id(&args.snapshot_id)?;
    let target: DeploymentName = args
        .target_cluster
        .trim()
        .parse()
        .map_err(|e| CliError::usage(format!("invalid --target-cluster: {e}")))?;
    let target_project: Option<GroupId> = match &args.target_project_id {
        Some(p) => Some(
            p.trim()
                .parse()
                .map_err(|e| CliError::usage(format!("invalid --target-project-id: {e}")))?,
        ),
        None => None,
    };
    let limit = args.timeout.and_then(|t| t.duration());
    let session = connect(&args.conn, &args.cluster, ui, limit)?;
    let s = &session;
    let response = super::within(limit, async {
        s.client
            .flex_restore_jobs()
            .start(
                &s.group,
                &s.cluster,
                CreateRestoreJob {
                    snapshot_id,
                    target_deployment_item_name: target,
                    target_project_id: target_project,
                },
            )
            .send_full()
            .await
            .map_err(|e| describe(&e, &s.target))
    })
    .await?;
    show(&response.body, &response.value, ui)?;
    if ui.stderr_tty {
        if let Some(id) = &response.value.id {
            eprintln!(
                "follow it with: atlas-snapshots restores wait --cluster-name {} --restore-job-id {id}",
                s.cluster
            );
        }
    }
    Ok(Exit::Ok)
}

async fn wait(args: RestoresWaitArgs, ui: Ui) -> Result<Exit, CliError> {
    flex_only(&args.cluster)?;
    let id = job_id(&args.restore_job_id)?;
    let limit = args.timeout.duration();
    let session = connect(&args.conn, &args.cluster, ui, limit)?;
    let s = &session;
    let progress = Progress::new(ui, &format!("waiting for restore job {id}"));
    let started = std::time::Instant::now();
    let last_status = std::sync::Arc::new(std::sync::Mutex::new(String::from("...")));
    let on_change = {
        let progress = progress.clone();
        let last_status = last_status.clone();
        move |ev: &WaitEvent<RestoreJob>| {
            let status = status_text(&ev.value);
            progress.event(&status, ev.elapsed, ev.polls);
            *last_status
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = status;
        }
    };
    let on_poll = {
        let progress = progress.clone();
        move |poll: &WaitPoll<'_, RestoreJob>| {
            let last = last_status
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            progress.poll(poll, &last);
        }
    };
    let wait = s
        .client
        .flex_restore_jobs()
        .wait(&s.group, &s.cluster, &id)
        .interval(args.interval)
        .on_change(on_change)
        .on_poll(on_poll);
    let result = match limit {
        Some(t) => wait.timeout(t),
        None => wait.no_timeout(),
    }
    .send_full()
    .await;
    let response = match result {
        Ok(r) => r,
        Err(e) => {
            progress.finish(None);
            return Err(describe(&e, &s.target));
        }
    };
    let job = &response.value;
    let status = job.status.clone();
    let summary = format!(
        "{} restore job {id} is {} after {}",
        if status == Some(RestoreStatus::Completed) {
            "✓"
        } else {
            "✗"
        },
        paint_status(&status_text(job), ui.color_err()),
        format_elapsed(started.elapsed())
    );
    progress.finish(Some(&summary));
    show(&response.body, job, ui)?;
    match status {
        Some(RestoreStatus::Completed) => Ok(Exit::Ok),
        Some(RestoreStatus::Failed) => Err(CliError::new(
            Exit::SnapshotFailed,
            format!("restore job {id} FAILED"),
        )
        .with_hint("Atlas could not restore the snapshot; check the target cluster's activity feed in Atlas")),
        other => Err(CliError::new(
            Exit::Api,
            format!(
                "the wait ended with status {}",
                other.as_ref().map_or("(none)", RestoreStatus::as_str)
            ),
        )),
    }
}

/// One job: the body as Atlas sent it (json) or its fields (table).
fn show(body: &[u8], job: &RestoreJob, ui: Ui) -> Result<(), CliError> {
    let text = match ui.format {
        OutputFormat::Json => output::json_bytes(body, ui.stdout_tty, false),
        OutputFormat::Table => crate::tables::restore_job_details(job, ui.color_out()).into_bytes(),
    };
    write(&text)
}
