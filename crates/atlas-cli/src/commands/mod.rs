//! The commands.

mod demo;
mod get;
mod list;
mod mock;
mod wait;

pub(crate) use mock::MockArgs;

use std::time::Duration;

use atlas_model::{ClusterName, GroupId, SnapshotId};
use atlas_snapshots::AtlasClient;
use atlas_transport::Timeouts;

use crate::cli::{ClusterArgs, Command, CompletionsArgs, ConnectionArgs};
use crate::config::{self, Connection};
use crate::errors::{CliError, Exit};
use crate::failure::Target;
use crate::logging;
use crate::output::Ui;

/// Runs an async command.
pub(crate) async fn run(command: Command, ui: Ui) -> Result<Exit, CliError> {
    match command {
        Command::Get(args) => get::run(args, ui).await,
        Command::List(args) => list::run(args, ui).await,
        Command::Wait(args) => wait::run(args, ui).await,
        Command::Mock(args) => mock::run(args, ui).await,
        Command::Demo(args) => demo::run(args, ui).await,
        Command::Completions(args) => completions(&args),
    }
}

/// `completions <shell>`.
pub(crate) fn completions(args: &CompletionsArgs) -> Result<Exit, CliError> {
    use clap::CommandFactory;
    let mut cmd = crate::cli::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "atlas-snapshots", &mut buf);
    crate::output::write_stdout(&buf)
        .map_err(|e| CliError::new(Exit::Api, format!("cannot write to stdout: {e}")))?;
    Ok(Exit::Ok)
}

/// A client ready to call, with what it needs for messages.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) client: AtlasClient,
    pub(crate) target: Target,
    pub(crate) group: GroupId,
    pub(crate) cluster: ClusterName,
}

/// Timeouts for one request when the command must end within `limit`.
pub(crate) fn timeouts_within(limit: Option<Duration>) -> Timeouts {
    let d = Timeouts::default();
    match limit {
        None => d,
        Some(t) => Timeouts {
            connect: d.connect.map(|c| c.min(t)),
            attempt: d.attempt.map(|a| a.min(t)),
            total: Some(d.total.map_or(t, |x| x.min(t))),
        },
    }
}

/// Reads the no-echo prompt when stdin is a terminal.
fn prompt_private_key(ui: Ui) -> impl Fn(&str) -> Option<std::io::Result<String>> {
    move |prompt: &str| {
        if ui.stdin_tty {
            Some(rpassword::prompt_password(prompt))
        } else {
            None
        }
    }
}

/// Resolves the configuration and builds the client.
pub(crate) fn connect(
    conn: &ConnectionArgs,
    cluster: &ClusterArgs,
    ui: Ui,
    limit: Option<Duration>,
) -> Result<Session, CliError> {
    let env = config::process_env;
    let path = config::config_path(&env);
    let profile = config::load_profile(path.as_deref(), conn.profile.as_deref())?;
    tracing::debug!(?path, ?profile, "configuration file");
    let cluster_name: ClusterName = cluster
        .cluster_name
        .parse()
        .map_err(|e| CliError::usage(format!("invalid --cluster-name: {e}")))?;
    let (group, group_source) = config::resolve_group_id(cluster, profile.as_ref(), &env)?;
    let connection: Connection =
        config::resolve_connection(conn, profile.as_ref(), &env, &prompt_private_key(ui))?;
    logging::register_secret(connection.private_key.expose());
    tracing::info!(
        base_url = %connection.base_url,
        base_url_source = %connection.base_url_source,
        public_key = %connection.public_key,
        public_key_source = %connection.public_key_source,
        private_key_source = %connection.private_key_source,
        group_id = %group,
        group_id_source = %group_source,
        "resolved configuration"
    );
    tracing::debug!(?connection, "connection");
    let target = Target {
        base_url: connection.base_url.clone(),
        base_url_source: connection.base_url_source.clone(),
        flex: cluster.flex,
    };
    let mut builder = AtlasClient::builder()
        .base_url(connection.base_url.clone())
        .credentials(
            connection.public_key.clone(),
            connection.private_key.expose().to_owned(),
        )
        .user_agent_suffix(format!("atlas-snapshots-cli/{}", env!("CARGO_PKG_VERSION")))
        .timeouts(timeouts_within(limit));
    if let Some(pem) = &connection.cacert {
        if !pem.is_file() {
            return Err(CliError::usage(format!(
                "--cacert {}: no such file",
                pem.display()
            )));
        }
        builder = builder.add_root_pem_file(pem);
    }
    let client = builder
        .build()
        .map_err(|e| crate::failure::describe(&e, &target))?;
    Ok(Session {
        client,
        target,
        group,
        cluster: cluster_name,
    })
}

/// Validates `--snapshot-id`.
pub(crate) fn snapshot_id(raw: &str) -> Result<SnapshotId, CliError> {
    raw.trim().parse().map_err(|e| {
        CliError::usage(format!("invalid --snapshot-id: {e}")).with_hint(
            "a snapshot id is 24 lower-case hexadecimal characters, e.g. 5cc310ace5dc7ce369814bc8",
        )
    })
}

/// Runs `fut`, giving up after `limit` with exit code 5.
pub(crate) async fn within<T>(
    limit: Option<Duration>,
    fut: impl std::future::Future<Output = Result<T, CliError>>,
) -> Result<T, CliError> {
    match limit {
        None => fut.await,
        Some(t) => tokio::time::timeout(t, fut).await.unwrap_or_else(|_| {
            Err(CliError::new(
                Exit::Network,
                format!(
                    "no answer within {} (--timeout)",
                    crate::duration::format_elapsed(t)
                ),
            )
            .with_hint("check the network and the base URL, or raise --timeout"))
        }),
    }
}

/// Warns on stderr when Atlas flagged the endpoint as deprecated or sunset.
pub(crate) fn warn_deprecation(deprecation: Option<&str>, sunset: Option<&str>, ui: Ui) {
    if deprecation.is_none() && sunset.is_none() {
        return;
    }
    let mut text = String::from("Atlas marks this endpoint as deprecated");
    if let Some(s) = sunset {
        text.push_str(&format!(" (Sunset: {s})"));
    } else if let Some(d) = deprecation {
        text.push_str(&format!(" (Deprecation: {d})"));
    }
    let warning = crate::output::bold("warning:", ui.color_err());
    eprintln!("{warning} {text}; M2/M5 clusters became flex clusters: --flex");
}
