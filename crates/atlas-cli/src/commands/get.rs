//! `get`: one snapshot, or the newest completed one with `--latest`; the cluster's kind (tenant,
//! flex or dedicated) is found by asking unless `--kind`/`--flex` says it.

use atlas_snapshots::{AnySnapshot, ApiVersion, Latest};

use crate::cli::{ApiVersionArg, GetArgs, OutputFormat};
use crate::errors::{CliError, Exit};
use crate::failure::describe;
use crate::output::{self, Ui};

pub(super) async fn run(args: GetArgs, ui: Ui) -> Result<Exit, CliError> {
    let snapshot = super::snapshot_or_latest(args.snapshot.given(), args.latest)?;
    let limit = args.timeout.and_then(|t| t.duration());
    let session = super::connect(&args.conn, &args.cluster, ui, limit)?;
    let version = match args.api_version {
        ApiVersionArg::V1 => ApiVersion::V1,
        ApiVersionArg::V2 => ApiVersion::V2,
    };
    let forced = args.cluster.forced_kind().map(super::kind_of);
    let s = &session;
    let Some(snapshot) = snapshot else {
        let latest: Latest<AnySnapshot> = super::within(limit, async {
            let mut req = s
                .client
                .snapshots()
                .latest(&s.group, &s.cluster)
                .items_per_page(500);
            if let Some(k) = forced {
                req = req.kind(k);
            }
            req.send().await.map_err(|e| describe(&e, &s.target))
        })
        .await?;
        tracing::info!(listed = latest.listed, served_by = ?latest.served_by, "get --latest done");
        let text = match ui.format {
            OutputFormat::Json => {
                output::json_bytes(latest.snapshot.json().as_bytes(), ui.stdout_tty, false)
            }
            OutputFormat::Table => {
                crate::tables::snapshot_details(latest.snapshot.value(), ui.color_out())
                    .into_bytes()
            }
        };
        output::write_stdout(&text)
            .map_err(|e| CliError::new(Exit::Api, format!("cannot write to stdout: {e}")))?;
        return Ok(Exit::Ok);
    };
    let response = super::within(limit, async {
        let mut req = s
            .client
            .snapshots()
            .get(&s.group, &s.cluster, &snapshot)
            .api_version(version);
        if let Some(k) = forced {
            req = req.kind(k);
        }
        if args.pretty {
            req = req.pretty();
        }
        if args.envelope {
            req = req.envelope();
        }
        req.send_full().await.map_err(|e| describe(&e, &s.target))
    })
    .await?;
    tracing::info!(status = %response.status, bytes = response.body.len(), served_by = %response.served_by.url, kind = ?response.served_by.kind, missed = response.served_by.missed.len(), stats = ?s.client.stats(), "get done");
    super::warn_deprecation(
        response.deprecation.as_deref(),
        response.sunset.as_deref(),
        ui,
    );
    let text = match ui.format {
        OutputFormat::Json => output::json_bytes(&response.body, ui.stdout_tty, args.pretty),
        OutputFormat::Table => {
            crate::tables::snapshot_details(&response.value, ui.color_out()).into_bytes()
        }
    };
    output::write_stdout(&text)
        .map_err(|e| CliError::new(Exit::Api, format!("cannot write to stdout: {e}")))?;
    Ok(Exit::Ok)
}
