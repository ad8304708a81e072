//! The commands.

mod auth;
mod delete;
mod demo;
mod download;
mod get;
mod list;
mod mock;
mod restores;
mod take;
mod wait;

pub(crate) use auth::AuthCommand;
pub(crate) use mock::MockArgs;

use std::time::Duration;

use atlas_snapshots::{AtlasClient, ClusterKind, ClusterName, GroupId, SnapshotId, Timeouts};

use crate::cli::{ClusterArgs, Command, CompletionsArgs, ConnectionArgs, KindArg};
use crate::config::{self, Connection, Interactive, Resolver};
use crate::credentials::{self, Credentials, Resolved};
use crate::errors::{CliError, Exit};
use crate::failure::{Scope, Target};
use crate::logging;
use crate::output::Ui;
use crate::profile::{ProfileFile, config_path};
use crate::{digest_cache, token_cache};

/// Runs an async command.
pub(crate) async fn run(command: Command, ui: Ui) -> Result<Exit, CliError> {
    match command {
        Command::Get(args) => get::run(args, ui).await,
        Command::List(args) => list::run(args, ui).await,
        Command::Wait(args) => wait::run(args, ui).await,
        Command::Take(args) => take::run(args, ui).await,
        Command::Delete(args) => delete::run(args, ui).await,
        Command::Download(args) => download::run(args, ui).await,
        Command::Restores(cmd) => restores::run(cmd, ui).await,
        Command::Mock(args) => mock::run(args, ui).await,
        Command::Demo(args) => demo::run(args, ui).await,
        Command::Auth(cmd) => auth::run(cmd, ui).await,
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

/// Reads all of standard input (for `--private-key-file -`).
fn read_stdin() -> std::io::Result<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
    Ok(text)
}

/// Resolves the configuration and builds the client. The config file is read only if a value
/// has to come from it.
pub(crate) fn connect(
    conn: &ConnectionArgs,
    cluster: &ClusterArgs,
    ui: Ui,
    limit: Option<Duration>,
) -> Result<Session, CliError> {
    let env = config::process_env;
    let path = config_path(&env);
    let profile = ProfileFile::new(path, conn.profile.clone());
    let settings = Resolver {
        env: &env,
        profile: &profile,
    };
    let cluster_name: ClusterName = cluster
        .cluster_name
        .trim()
        .parse()
        .map_err(|e| CliError::usage(format!("invalid --cluster-name: {e}")))?;
    let (group, group_source) = config::resolve_group_id(cluster, settings)?;
    tracing::info!(group_id = %group, group_id_source = %group_source, "project");
    let mut opened = open(conn, settings, ui, limit)?;
    opened.target.scope = cluster.forced_kind().map_or(Scope::Lookup, Scope::Forced);
    opened.target.group = Some((group.to_string(), group_source));
    opened.target.cluster = Some(cluster_name.to_string());
    tracing::debug!(?profile, "profile");
    Ok(Session {
        client: opened.client,
        target: opened.target,
        group,
        cluster: cluster_name,
    })
}

/// A client for the resolved method, before any cluster is chosen.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) client: AtlasClient,
    pub(crate) target: Target,
    pub(crate) resolved: Resolved,
    /// The token cache directory in use (service accounts, unless `--no-token-cache`).
    pub(crate) token_cache: Option<std::path::PathBuf>,
    /// The digest session cache directory in use (API keys, with `--digest-session-cache`).
    pub(crate) digest_cache: Option<std::path::PathBuf>,
}

/// Resolves the authentication method and builds the client (warning once on stderr when
/// more than one method is set).
pub(crate) fn open(
    conn: &ConnectionArgs,
    settings: Resolver<'_>,
    ui: Ui,
    limit: Option<Duration>,
) -> Result<Opened, CliError> {
    let prompt = prompt_private_key(ui);
    let resolved = credentials::resolve(
        conn,
        settings,
        Interactive {
            prompt: &prompt,
            stdin: &read_stdin,
        },
    )?;
    if let Some(w) = &resolved.warning {
        let warning = crate::output::bold("warning:", ui.color_err());
        eprintln!("{warning} {w}");
    }
    let connection: &Connection = &resolved.connection;
    let mut builder = AtlasClient::builder()
        .base_url(connection.base_url.clone())
        .user_agent_suffix(format!("atlas-snapshots-cli/{}", env!("CARGO_PKG_VERSION")))
        .timeouts(timeouts_within(limit));
    let mut token_cache = None;
    let mut digest_cache = None;
    let (first_source, second_source) = match &resolved.credentials {
        Credentials::ApiKey => {
            logging::register_secret(connection.private_key.expose());
            builder = builder.credentials(
                connection.public_key.clone(),
                connection.private_key.expose().to_owned(),
            );
            if conn.digest_session_cache {
                match digest_cache::default_dir(&config::process_env) {
                    Some(dir) => {
                        builder = builder.digest_session_store(std::sync::Arc::new(
                            digest_cache::FileDigestSessionStore::new(dir.clone()),
                        ));
                        digest_cache = Some(dir);
                    }
                    None => tracing::warn!(
                        "neither XDG_CACHE_HOME nor HOME is set: digest sessions are not kept between runs"
                    ),
                }
            }
            (
                connection.public_key_source.clone(),
                connection.private_key_source.clone(),
            )
        }
        Credentials::AccessToken { token, source } => {
            logging::register_secret(token.expose());
            builder = builder.access_token(token.expose());
            (source.clone(), source.clone())
        }
        Credentials::ServiceAccount {
            client_id,
            secret,
            secret_source,
        } => {
            logging::register_secret(secret.expose());
            builder = builder.service_account(client_id.value.clone(), secret.expose());
            if !conn.no_token_cache {
                match token_cache::default_dir(&config::process_env) {
                    Some(dir) => {
                        builder = builder.token_store(std::sync::Arc::new(
                            token_cache::FileTokenStore::new(dir.clone()),
                        ));
                        token_cache = Some(dir);
                    }
                    None => tracing::warn!(
                        "neither XDG_CACHE_HOME nor HOME is set: tokens are not kept between runs"
                    ),
                }
            }
            (client_id.source.clone(), secret_source.clone())
        }
    };
    tracing::info!(
        base_url = %connection.base_url,
        base_url_source = %connection.base_url_source,
        method = %resolved.method(),
        public_key = %connection.public_key,
        id_source = %first_source,
        secret_source = %second_source,
        token_cache = ?token_cache,
        digest_cache = ?digest_cache,
        config_file_read = settings.profile.was_read(),
        "resolved configuration"
    );
    tracing::debug!(?resolved, "connection");
    let target = Target {
        base_url: connection.base_url.clone(),
        base_url_source: connection.base_url_source.clone(),
        scope: Scope::Lookup,
        public_key_source: Some(first_source),
        private_key_source: Some(second_source),
        group: None,
        cluster: None,
        method: resolved.method(),
    };
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
    Ok(Opened {
        client,
        target,
        resolved,
        token_cache,
        digest_cache,
    })
}

/// The library's kind for `--kind` / `--flex`.
pub(crate) fn kind_of(arg: KindArg) -> ClusterKind {
    match arg {
        KindArg::Tenant => ClusterKind::Tenant,
        KindArg::Flex => ClusterKind::Flex,
        KindArg::Dedicated => ClusterKind::Dedicated,
    }
}

/// Writes to stdout; a failure to write is exit 1.
pub(crate) fn print(bytes: &[u8]) -> Result<(), CliError> {
    crate::output::write_stdout(bytes)
        .map_err(|e| CliError::new(Exit::Api, format!("cannot write to stdout: {e}")))
}

/// The snapshot id of a command that also takes `--latest`: exactly one of the two.
pub(crate) fn snapshot_or_latest(
    given: Option<&str>,
    latest: bool,
) -> Result<Option<SnapshotId>, CliError> {
    match (given, latest) {
        (Some(_), true) => Err(CliError::usage(
            "give either --snapshot-id (or the id as an argument) or --latest, not both",
        )),
        (Some(raw), false) => snapshot_id(raw).map(Some),
        (None, true) => Ok(None),
        (None, false) => Err(CliError::usage("no snapshot id").with_hint(
            "pass --snapshot-id ID (or the id as the first argument), or --latest for the newest COMPLETED snapshot",
        )),
    }
}

/// Validates the snapshot id (`--snapshot-id` or the first argument).
pub(crate) fn snapshot_id(raw: &str) -> Result<SnapshotId, CliError> {
    raw.trim().parse().map_err(|e| {
        CliError::usage(format!("invalid --snapshot-id: {e}")).with_hint(
            "a snapshot id is 24 lower-case hexadecimal characters, e.g. 5cc310ace5dc7ce369814bc8",
        )
    })
}

/// Runs `fut`, giving up after `limit` (if any) with exit code 5.
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
            .with_hint("check the network and the base URL, or raise --timeout (0: no limit)"))
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
