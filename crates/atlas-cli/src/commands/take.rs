//! `take`: an on-demand snapshot of a dedicated cluster; with `--wait`, then the wait for it,
//! exactly as `wait` does (exit 0 completed, 6 failed, 5 timeout).

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use atlas_snapshots::ClusterKind;

use crate::cli::{KindArg, OutputFormat, TakeArgs};
use crate::errors::{CliError, Exit};
use crate::failure::{Scope, describe};
use crate::output::{self, Ui, paint_status};

/// How long `take --wait` waits when `--timeout` is not given (as `wait`).
const DEFAULT_WAIT_LIMIT: Duration = Duration::from_secs(30 * 60);

pub(super) async fn run(args: TakeArgs, ui: Ui) -> Result<Exit, CliError> {
    let limit = match args.timeout {
        Some(t) => t.duration(),
        None if args.wait => Some(DEFAULT_WAIT_LIMIT),
        None => None,
    };
    let started = Instant::now();
    let cluster = args.cluster.as_cluster_args();
    let mut session = super::connect(&args.conn, &cluster, ui, limit)?;
    session.target.scope = Scope::Command {
        name: "take",
        kind: KindArg::Dedicated,
    };
    let s = &session;
    let mut request = s.client.dedicated_snapshots().take(&s.group, &s.cluster);
    if let Some(text) = &args.description {
        request = request.description(text.clone());
    }
    if let Some(days) = args.retention_days.and_then(NonZeroU32::new) {
        request = request.retention_days(days);
    }
    let response = super::within(limit, async {
        request
            .send_full()
            .await
            .map_err(|e| describe(&e, &s.target))
    })
    .await?;
    tracing::info!(status = %response.status, bytes = response.body.len(), stats = ?s.client.stats(), "take done");
    let taken = &response.value;
    let status = taken.status.as_ref().map_or("(no status)", |s| s.as_str());
    let Some(id) = taken.id.clone() else {
        super::print(&output::json_bytes(&response.body, ui.stdout_tty, false))?;
        return Err(CliError::new(
            Exit::Api,
            "Atlas accepted the snapshot but its answer has no id",
        )
        .with_hint(format!(
            "`atlas-snapshots list --cluster-name {} --kind dedicated` shows the cluster's snapshots",
            s.cluster
        )));
    };
    eprintln!(
        "took snapshot {id} of cluster {} ({})",
        s.cluster,
        paint_status(status, ui.color_err())
    );
    if !args.wait {
        let text = match ui.format {
            OutputFormat::Json => output::json_bytes(&response.body, ui.stdout_tty, false),
            OutputFormat::Table => {
                let any = atlas_snapshots::AnySnapshot::Dedicated(taken.clone());
                crate::tables::snapshot_details(&any, ui.color_out()).into_bytes()
            }
        };
        super::print(&text)?;
        eprintln!(
            "wait for it with: atlas-snapshots wait --cluster-name {} --snapshot-id {id}",
            s.cluster
        );
        return Ok(Exit::Ok);
    }
    let left = limit.map(|l| l.saturating_sub(started.elapsed()));
    super::wait::follow(
        s,
        &id,
        Some(ClusterKind::Dedicated),
        args.interval,
        left,
        ui,
    )
    .await
}
