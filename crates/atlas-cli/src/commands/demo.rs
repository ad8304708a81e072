//! `demo`: the embedded mock on loopback, a real `get` and a real `wait` through the whole stack
//! (AtlasClient, transport, HTTP digest), and how many round trips each took.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use atlas_mock::{MockAtlas, MockHandle, seed};
use atlas_model::{ClusterName, GroupId, SnapshotId, SnapshotStatus};
use atlas_snapshots::{AtlasClient, AtlasClientBuilder, ProxyConfig, Stats, WaitEvent};

use crate::cli::DemoArgs;
use crate::duration::format_elapsed;
use crate::errors::{CliError, Exit};
use crate::failure::{Target, describe};
use crate::output::{self, Ui, bold, paint_status};

/// The demo's own `wait` timeout: far above the lifecycle's 3 s.
const WAIT_TIMEOUT: Duration = Duration::from_secs(30);

fn out(text: &str) -> Result<(), CliError> {
    output::write_stdout(text.as_bytes())
        .map_err(|e| CliError::new(Exit::Api, format!("cannot write to stdout: {e}")))
}

fn ids(snapshot: &str) -> Result<(GroupId, ClusterName, SnapshotId), CliError> {
    let bad = |e: atlas_model::IdError| CliError::new(Exit::Api, format!("seed id: {e}"));
    Ok((
        seed::GROUP_ID.parse().map_err(bad)?,
        seed::CLUSTER_NAME.parse().map_err(bad)?,
        snapshot.parse().map_err(bad)?,
    ))
}

fn delta(after: Option<Stats>, before: Option<Stats>) -> (u64, u64, u64) {
    match (after, before) {
        (Some(a), Some(b)) => (
            a.requests.saturating_sub(b.requests),
            a.round_trips.saturating_sub(b.round_trips),
            a.challenges.saturating_sub(b.challenges),
        ),
        (Some(a), None) => (a.requests, a.round_trips, a.challenges),
        _ => (0, 0, 0),
    }
}

/// What the demo's error messages say it talked to: the embedded mock, the seed cluster.
fn demo_target(mock: &MockHandle, method: crate::credentials::Method) -> Target {
    Target {
        base_url: mock.base_url().to_owned(),
        base_url_source: crate::config::Source::Default,
        scope: crate::failure::Scope::Lookup,
        public_key_source: None,
        private_key_source: None,
        group: None,
        cluster: Some(seed::CLUSTER_NAME.to_owned()),
        method,
    }
}

/// A client builder for the embedded mock, credentials still to be chosen.
fn demo_client(mock: &MockHandle) -> AtlasClientBuilder {
    AtlasClient::builder()
        .base_url(mock.base_url())
        .user_agent_suffix(format!(
            "atlas-snapshots-cli/{} demo",
            env!("CARGO_PKG_VERSION")
        ))
        // The mock is on loopback: a proxy from the environment (HTTP_PROXY) must not be used.
        .proxy(ProxyConfig::none())
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Journal lines of the requests after `seq`.
fn journal_lines(mock: &MockHandle, after_seq: u64) -> (String, u64) {
    let mut text = String::new();
    let mut last = after_seq;
    for e in mock.journal().into_iter().filter(|e| e.seq > after_seq) {
        last = last.max(e.seq);
        let bearer = e
            .auth
            .as_ref()
            .is_some_and(|a| a.scheme.eq_ignore_ascii_case("bearer"));
        let what = match (e.status, e.had_credentials) {
            _ if e.path == "/api/oauth/token" && e.status == 200 => {
                "an access token for the service account (client credentials, Basic)"
            }
            (401, false) => "digest challenge (WWW-Authenticate), no credentials sent yet",
            (401, true) => "credentials rejected",
            (200, true) if bearer => "authorized with the bearer token",
            (200, true) => "authorized with HTTP Digest",
            (_, _) => "",
        };
        let _ = writeln!(
            text,
            "    {} {} -> {}{}",
            e.method,
            e.path,
            e.status,
            if what.is_empty() {
                String::new()
            } else {
                format!("  ({what})")
            }
        );
    }
    (text, last)
}

pub(super) async fn run(args: DemoArgs, ui: Ui) -> Result<Exit, CliError> {
    let started = Instant::now();
    let color = ui.color_out();
    let mock = MockAtlas::builder().start().await.map_err(|e| {
        CliError::new(
            Exit::Network,
            format!(
                "cannot start the embedded mock: {}",
                crate::errors::chain(&e)
            ),
        )
    })?;
    crate::logging::register_secret(mock.private_key());
    out(&format!(
        "{}\n\nStarted a local Atlas mock at {} (HTTP Digest like Atlas: realm \"MMS Public API\", MD5, qop=auth;\ngenerated API key {}). Nothing below leaves this machine.\n\n",
        bold(
            "atlas-snapshots demo: the real client, transport and digest handshake against an embedded Atlas mock",
            color
        ),
        mock.base_url(),
        mock.public_key(),
    ))?;

    let target = demo_target(&mock, crate::credentials::Method::ApiKey);
    let client = demo_client(&mock)
        .credentials(mock.public_key(), mock.private_key())
        .build()
        .map_err(|e| describe(&e, &target))?;

    // Step 1: get the seed snapshot.
    let (group, cluster, snapshot) = ids(seed::SNAPSHOT_ID)?;
    out(&format!(
        "{} get the seed snapshot (the Atlas documentation's example)\n    $ atlas-snapshots get --group-id {group} --cluster-name {cluster} --snapshot-id {snapshot}\n",
        bold("Step 1:", color)
    ))?;
    let before = client.stats();
    let step = Instant::now();
    let response = client
        .tenant_snapshots()
        .get(&group, &cluster, &snapshot)
        .send_full()
        .await
        .map_err(|e| describe(&e, &target))?;
    let took = step.elapsed();
    let (requests, round_trips, challenges) = delta(client.stats(), before);
    let (journal, seq) = journal_lines(&mock, 0);
    out(&journal)?;
    let body = output::json_bytes(&response.body, true, false);
    let mut text = format!(
        "    HTTP {} in {}: {} ({}) for {}; the body, as Atlas would send it:\n",
        response.status.as_u16(),
        format_elapsed(took),
        plural(round_trips, "round trip", "round trips"),
        plural(challenges, "digest challenge", "digest challenges"),
        plural(requests, "request", "requests"),
    );
    for line in String::from_utf8_lossy(&body).lines() {
        let _ = writeln!(text, "    {line}");
    }
    if let Some(sunset) = &response.sunset {
        let _ = writeln!(
            text,
            "    (the answer carries Sunset: {sunset}, as Atlas's does: M2/M5 clusters became flex clusters; see --flex)"
        );
    }
    let status = response
        .value
        .status
        .as_ref()
        .map_or("(no status)", SnapshotStatus::as_str);
    let _ = writeln!(
        text,
        "    => snapshot {} of cluster {cluster} is {}\n",
        response
            .value
            .id
            .as_ref()
            .map_or_else(|| snapshot.to_string(), ToString::to_string),
        paint_status(status, color)
    );
    out(&text)?;

    // Step 2: wait for the lifecycle snapshot.
    let (_, _, lifecycle) = ids(seed::LIFECYCLE_SNAPSHOT_ID)?;
    out(&format!(
        "{} wait for a snapshot that moves QUEUED -> RUNNING -> COMPLETED (polling every {})\n    $ atlas-snapshots wait --group-id {group} --cluster-name {cluster} --snapshot-id {lifecycle} --interval {}\n",
        bold("Step 2:", color),
        format_elapsed(args.interval),
        format_elapsed(args.interval),
    ))?;
    let before = client.stats();
    let step = Instant::now();
    let waited = client
        .tenant_snapshots()
        .wait(&group, &cluster, &lifecycle)
        .interval(args.interval)
        .timeout(WAIT_TIMEOUT)
        .on_change(move |ev: &WaitEvent| {
            let status = ev
                .value
                .status
                .as_ref()
                .map_or("(no status)", SnapshotStatus::as_str);
            let line = format!(
                "    {:>7}  {} (poll {})\n",
                format_elapsed(ev.elapsed),
                paint_status(status, color),
                ev.polls
            );
            let _ = output::write_stdout(line.as_bytes());
        })
        .send()
        .await
        .map_err(|e| describe(&e, &target))?;
    let took = step.elapsed();
    let (requests, round_trips, challenges) = delta(client.stats(), before);
    let (journal, seq) = journal_lines(&mock, seq);
    tracing::debug!(journal = %journal, "wait requests");
    let final_status = waited
        .status
        .as_ref()
        .map_or("(no status)", SnapshotStatus::as_str);
    let why = if challenges == 0 {
        "; the digest session from step 1 is reused, so no new challenge was needed"
    } else {
        ""
    };
    out(&format!(
        "    => {} after {}: {} for {} ({}{why})\n\n",
        paint_status(final_status, color),
        format_elapsed(took),
        plural(round_trips, "round trip", "round trips"),
        plural(requests, "poll", "polls"),
        plural(challenges, "digest challenge", "digest challenges"),
    ))?;

    service_account_step(&mock, seq, color).await?;

    out(&format!(
        "Done in {}. Try it yourself: `atlas-snapshots mock` runs this mock on 127.0.0.1:8080 until Ctrl-C and\nprints a key pair and a service account; then, in another terminal:\n    export MONGODB_ATLAS_BASE_URL=http://127.0.0.1:8080 MONGODB_ATLAS_PROJECT_ID={}\n    export MONGODB_ATLAS_PUBLIC_API_KEY=<printed> MONGODB_ATLAS_PRIVATE_API_KEY=<printed>\n    (or: export MONGODB_ATLAS_CLIENT_ID=<printed> MONGODB_ATLAS_CLIENT_SECRET=<printed>)\n    atlas-snapshots list --cluster-name {} --all\n",
        format_elapsed(started.elapsed()),
        seed::GROUP_ID,
        seed::CLUSTER_NAME
    ))?;
    mock.shutdown().await;
    Ok(match waited.status {
        Some(SnapshotStatus::Completed) => Exit::Ok,
        _ => Exit::SnapshotFailed,
    })
}

/// Step 3: the same `get`, authenticated with a service account (OAuth 2.0 client credentials):
/// one token request, then bearer requests in one round trip each.
async fn service_account_step(
    mock: &MockHandle,
    after_seq: u64,
    color: bool,
) -> Result<(), CliError> {
    let sa = mock.service_account();
    crate::logging::register_secret(sa.client_secret());
    let target = demo_target(mock, crate::credentials::Method::ServiceAccount);
    let client = demo_client(mock)
        .service_account(sa.client_id(), sa.client_secret())
        .build()
        .map_err(|e| describe(&e, &target))?;
    let (group, cluster, snapshot) = ids(seed::SNAPSHOT_ID)?;
    out(&format!(
        "{} the same get twice with a service account (client id {}), the method Atlas recommends\n    $ MONGODB_ATLAS_CLIENT_ID=... MONGODB_ATLAS_CLIENT_SECRET=... atlas-snapshots get --group-id {group} --cluster-name {cluster} --snapshot-id {snapshot}\n",
        bold("Step 3:", color),
        sa.client_id(),
    ))?;
    for _ in 0..2 {
        client
            .tenant_snapshots()
            .get(&group, &cluster, &snapshot)
            .send()
            .await
            .map_err(|e| describe(&e, &target))?;
    }
    let (journal, _) = journal_lines(mock, after_seq);
    out(&journal)?;
    let stats = client.stats().unwrap_or_default();
    out(&format!(
        "    => {} and {} for 2 requests; the command keeps the token between runs (see `auth status`)\n\n",
        plural(stats.token_requests, "token request", "token requests"),
        plural(stats.round_trips, "round trip", "round trips"),
    ))
}
