//! `get`: one snapshot.

use atlas_snapshots::ApiVersion;

use crate::cli::{ApiVersionArg, GetArgs, OutputFormat};
use crate::errors::{CliError, Exit};
use crate::failure::describe;
use crate::output::{self, Ui};

pub(super) async fn run(args: GetArgs, ui: Ui) -> Result<Exit, CliError> {
    let snapshot = super::snapshot_id(args.snapshot.raw())?;
    let limit = args.timeout.and_then(|t| t.duration());
    let session = super::connect(&args.conn, &args.cluster, ui, limit)?;
    let version = match args.api_version {
        ApiVersionArg::V1 => ApiVersion::V1,
        ApiVersionArg::V2 => ApiVersion::V2,
    };
    let s = &session;
    let response = super::within(limit, async {
        let result = if args.cluster.flex {
            s.client
                .flex_snapshots()
                .get(&s.group, &s.cluster, &snapshot)
                .pretty(args.pretty)
                .envelope(args.envelope)
                .send_full()
                .await
        } else {
            s.client
                .tenant_snapshots()
                .get(&s.group, &s.cluster, &snapshot)
                .api_version(version)
                .pretty(args.pretty)
                .envelope(args.envelope)
                .send_full()
                .await
        };
        result.map_err(|e| describe(&e, &s.target))
    })
    .await?;
    tracing::info!(status = %response.status, bytes = response.body.len(), stats = ?s.client.stats(), "get done");
    super::warn_deprecation(
        response.deprecation.as_deref(),
        response.sunset.as_deref(),
        ui,
    );
    let text = match ui.format {
        OutputFormat::Json => output::json_bytes(&response.body, ui.stdout_tty, args.pretty),
        OutputFormat::Table => {
            output::snapshot_details(&response.value, ui.color_out()).into_bytes()
        }
    };
    output::write_stdout(&text)
        .map_err(|e| CliError::new(Exit::Api, format!("cannot write to stdout: {e}")))?;
    Ok(Exit::Ok)
}
