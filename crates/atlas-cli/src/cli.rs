//! The clap command tree.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::duration::{TimeLimit, parse_interval, parse_time_limit};

/// Exit codes, shown at the end of `--help`.
const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success (for `wait` and `take --wait`: the snapshot is COMPLETED, or completed)
  1  the Atlas API answered with an error (400, 406, 410, 429, 5xx ...), or another failure
  2  usage error (bad flag, bad id, missing key or project id, bad configuration)
  3  not found (404: the project, cluster or snapshot does not exist)
  4  authentication or authorization failed (401 bad keys or client credentials, 403 IP access
     list or no access, the service account's live-token limit)
  5  network error or timeout (connection refused, TLS, DNS, `--timeout` reached, a download
     that kept breaking)
  6  the snapshot (or restore job) is FAILED (`wait`, `take --wait`, `restores wait`)

Environment:
  MONGODB_ATLAS_ACCESS_TOKEN                                     a ready access token
  MONGODB_ATLAS_CLIENT_ID, MONGODB_ATLAS_CLIENT_SECRET           service account
  MONGODB_ATLAS_PUBLIC_API_KEY, MONGODB_ATLAS_PRIVATE_API_KEY   API key pair
  MONGODB_ATLAS_PROJECT_ID                                       default --group-id
  MONGODB_ATLAS_BASE_URL, MONGODB_ATLAS_OPS_MANAGER_URL          default --base-url
  NO_COLOR                                                       no colors when set
An access token beats a service account, which beats an API key (a warning says so when more
than one is set). Service account tokens are kept in $XDG_CACHE_HOME/atlas-snapshots/tokens
(or ~/.cache/...) unless --no-token-cache; an API key's digest nonce is kept in
$XDG_CACHE_HOME/atlas-snapshots/digest with --digest-session-cache.
Flags beat environment variables, which beat the profile of the Atlas CLI's config file
($XDG_CONFIG_HOME/atlascli/config.toml or ~/.config/atlascli/config.toml); the file is read only
when a value is needed from it.

Durations: a number and a unit (ms, s, m, h), decimals and sums allowed: 500ms, 1.5s, 1m30s.
`--timeout 0` means no time limit, for every command.";

/// Get, list and wait for MongoDB Atlas backup snapshots of shared-tier (M2/M5), flex and
/// dedicated clusters; take and delete a dedicated cluster's snapshots; run a local Atlas mock;
/// see it all work offline with `demo`.
#[derive(Debug, Parser)]
#[command(name = "atlas-snapshots", version, after_help = EXIT_CODES_HELP)]
#[command(propagate_version = true)]
pub(crate) struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Options every command takes.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Output format [default: table on a terminal, json otherwise]. json is the API's own
    /// JSON, byte for byte when piped, pretty-printed on a terminal.
    #[arg(short = 'o', long = "output", value_enum, global = true)]
    pub(crate) output: Option<OutputFormat>,
    /// More logging on stderr: -v info, -vv debug, -vvv trace (secrets redacted).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    /// No colors (also when the NO_COLOR environment variable is set).
    #[arg(long = "no-color", global = true)]
    pub(crate) no_color: bool,
}

/// `-o json|table`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// The API's JSON: exactly as received when piped, pretty-printed on a terminal.
    Json,
    /// A table for people.
    Table,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show one snapshot.
    #[command(after_help = EXIT_CODES_HELP)]
    Get(GetArgs),
    /// List the snapshots of a cluster (one page, or every page with --all).
    #[command(after_help = EXIT_CODES_HELP)]
    List(ListArgs),
    /// Wait until a snapshot is COMPLETED (exit 0) or FAILED (exit 6), or the timeout (exit 5).
    #[command(after_help = EXIT_CODES_HELP)]
    Wait(WaitArgs),
    /// Take an on-demand snapshot of a dedicated cluster (and wait for it with --wait).
    #[command(after_help = EXIT_CODES_HELP)]
    Take(TakeArgs),
    /// Delete a snapshot of a dedicated cluster (asks first on a terminal; --yes otherwise).
    #[command(after_help = EXIT_CODES_HELP)]
    Delete(DeleteArgs),
    /// Download a flex cluster's snapshot archive (.tgz) to a file, or to stdout with `-o -`.
    #[command(after_help = EXIT_CODES_HELP)]
    Download(DownloadArgs),
    /// Restore jobs of a flex cluster: list, get, start, wait.
    #[command(subcommand)]
    Restores(RestoresCommand),
    /// Authentication: `auth status` (method, sources, cached token expiry), `auth revoke`.
    #[command(subcommand)]
    Auth(crate::commands::AuthCommand),
    /// Run a local Atlas mock (digest auth, seed or your data, admin API) until Ctrl-C or SIGTERM.
    Mock(MockArgs),
    /// Start an embedded mock and run a real `get` and `wait` against it: no network, no keys.
    Demo(DemoArgs),
    /// Print shell completions, e.g. `atlas-snapshots completions bash > ~/.local/share/bash-completion/completions/atlas-snapshots`.
    Completions(CompletionsArgs),
}

/// How to reach Atlas and whose keys to use: flags beat environment beat profile.
#[derive(Debug, Clone, Args)]
pub(crate) struct ConnectionArgs {
    /// Atlas base URL (see the help text for where it comes from).
    #[arg(
        long,
        value_name = "URL",
        help = "Atlas base URL [env: MONGODB_ATLAS_BASE_URL, MONGODB_ATLAS_OPS_MANAGER_URL; profile: ops_manager_url; default: https://cloud.mongodb.com]"
    )]
    pub(crate) base_url: Option<String>,
    /// Profile of the Atlas CLI's config file to read keys, project id and URL from
    /// [default: "default", when the file has it].
    #[arg(long, short = 'P', value_name = "NAME")]
    pub(crate) profile: Option<String>,
    /// Public API key [env: MONGODB_ATLAS_PUBLIC_API_KEY; profile: public_api_key].
    #[arg(long, value_name = "KEY")]
    pub(crate) public_key: Option<String>,
    /// Read the private API key from this file (its first line that is not blank), or from
    /// standard input with `-` [else env: MONGODB_ATLAS_PRIVATE_API_KEY; profile:
    /// private_api_key; a prompt on a terminal].
    #[arg(long, value_name = "FILE")]
    pub(crate) private_key_file: Option<PathBuf>,
    /// Extra CA certificate(s) to trust, PEM (e.g. the one `mock --tls-ca-out` wrote).
    #[arg(long, value_name = "PEM")]
    pub(crate) cacert: Option<PathBuf>,
    /// Service account client id [env: MONGODB_ATLAS_CLIENT_ID; profile: client_id]. An access
    /// token (MONGODB_ATLAS_ACCESS_TOKEN) beats a service account, which beats an API key.
    #[arg(long, value_name = "ID")]
    pub(crate) client_id: Option<String>,
    /// Read the service account's client secret from this file (its first line that is not
    /// blank), or from standard input with `-` [else env: MONGODB_ATLAS_CLIENT_SECRET; profile:
    /// client_secret; a prompt on a terminal].
    #[arg(long, value_name = "FILE")]
    pub(crate) client_secret_file: Option<PathBuf>,
    /// Do not keep service account tokens between runs (the cache is
    /// $XDG_CACHE_HOME/atlas-snapshots/tokens, or ~/.cache/atlas-snapshots/tokens).
    #[arg(long)]
    pub(crate) no_token_cache: bool,
    /// Keep the API key's last digest nonce between runs, so the next run's first request sends
    /// credentials at once (one round trip instead of two). Off by default. Each run reserves
    /// its own nc values under a file lock, so runs at once never reuse one; a stale nonce costs
    /// one fresh challenge. The cache is $XDG_CACHE_HOME/atlas-snapshots/digest (or
    /// ~/.cache/atlas-snapshots/digest), 0600, no secret in it.
    #[arg(long)]
    pub(crate) digest_session_cache: bool,
}

/// Which cluster.
#[derive(Debug, Clone, Args)]
pub(crate) struct ClusterArgs {
    /// Project (group) id [env: MONGODB_ATLAS_PROJECT_ID; profile: project_id].
    #[arg(long, visible_aliases = ["project-id", "projectId"], value_name = "ID")]
    pub(crate) group_id: Option<String>,
    /// Cluster name (M2/M5, flex or dedicated: the kind is found by asking, the tenant
    /// endpoint first, then flex, then dedicated).
    #[arg(long, visible_alias = "clusterName", value_name = "NAME")]
    pub(crate) cluster_name: String,
    /// Only the flex cluster endpoints (the same as --kind flex).
    #[arg(long, conflicts_with = "kind")]
    pub(crate) flex: bool,
    /// Only this kind's endpoints, no lookup [default: found by asking, remembered for the run].
    #[arg(long, value_enum, value_name = "KIND")]
    pub(crate) kind: Option<KindArg>,
}

impl ClusterArgs {
    /// The kind forced by `--flex` or `--kind`, if any.
    pub(crate) fn forced_kind(&self) -> Option<KindArg> {
        if self.flex {
            Some(KindArg::Flex)
        } else {
            self.kind
        }
    }
}

/// `--kind tenant|flex|dedicated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KindArg {
    /// An M2/M5 cluster on the tenant endpoints (sunset in January 2026).
    Tenant,
    /// A flex cluster.
    Flex,
    /// A dedicated (M10+) cluster, on the cloud backup endpoints.
    Dedicated,
}

impl KindArg {
    /// The flag's value: `tenant`, `flex` or `dedicated`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            KindArg::Tenant => "tenant",
            KindArg::Flex => "flex",
            KindArg::Dedicated => "dedicated",
        }
    }
}

/// A dedicated cluster (for `take` and `delete`, which only dedicated clusters have).
#[derive(Debug, Clone, Args)]
pub(crate) struct DedicatedClusterArgs {
    /// Project (group) id [env: MONGODB_ATLAS_PROJECT_ID; profile: project_id].
    #[arg(long, visible_aliases = ["project-id", "projectId"], value_name = "ID")]
    pub(crate) group_id: Option<String>,
    /// Name of the dedicated (M10+) cluster.
    #[arg(long, visible_alias = "clusterName", value_name = "NAME")]
    pub(crate) cluster_name: String,
}

impl DedicatedClusterArgs {
    /// The same cluster, with its kind given.
    pub(crate) fn as_cluster_args(&self) -> ClusterArgs {
        ClusterArgs {
            group_id: self.group_id.clone(),
            cluster_name: self.cluster_name.clone(),
            flex: false,
            kind: Some(KindArg::Dedicated),
        }
    }
}

/// `take`.
#[derive(Debug, Args)]
pub(crate) struct TakeArgs {
    /// How to reach Atlas.
    #[command(flatten)]
    pub(crate) conn: ConnectionArgs,
    /// Which cluster.
    #[command(flatten)]
    pub(crate) cluster: DedicatedClusterArgs,
    /// Why the snapshot is taken (shown in Atlas and in `list`).
    #[arg(long, value_name = "TEXT")]
    pub(crate) description: Option<String>,
    /// How many days Atlas keeps the snapshot [default: Atlas's].
    #[arg(long, visible_alias = "retentionInDays", value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) retention_days: Option<u32>,
    /// Then wait until it is completed (exit 0) or failed (exit 6), as `wait` does.
    #[arg(long)]
    pub(crate) wait: bool,
    /// With --wait: time between two polls, at least 1s.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_interval, requires = "wait")]
    pub(crate) interval: Duration,
    /// Give up after this long (exit 5); 0 means no limit [default: 30m with --wait, else no
    /// limit].
    #[arg(long, value_name = "DURATION", value_parser = parse_time_limit)]
    pub(crate) timeout: Option<TimeLimit>,
}

/// `delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// How to reach Atlas.
    #[command(flatten)]
    pub(crate) conn: ConnectionArgs,
    /// Which cluster.
    #[command(flatten)]
    pub(crate) cluster: DedicatedClusterArgs,
    /// Which snapshot.
    #[command(flatten)]
    pub(crate) snapshot: SnapshotArg,
    /// Delete without asking (needed when standard input is not a terminal).
    #[arg(long, short = 'y', visible_alias = "force")]
    pub(crate) yes: bool,
    /// Give up after this long (exit 5); 0 means no limit [default: no limit].
    #[arg(long, value_name = "DURATION", value_parser = parse_time_limit)]
    pub(crate) timeout: Option<TimeLimit>,
}

/// `--api-version v1|v2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ApiVersionArg {
    /// /api/atlas/v1.0 (the seed endpoint; the default for M2/M5).
    V1,
    /// /api/atlas/v2 with application/vnd.atlas.2023-01-01+json.
    V2,
}

/// `get`.
#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// How to reach Atlas.
    #[command(flatten)]
    pub(crate) conn: ConnectionArgs,
    /// Which cluster.
    #[command(flatten)]
    pub(crate) cluster: ClusterArgs,
    /// Which snapshot.
    #[command(flatten)]
    pub(crate) snapshot: SnapshotArg,
    /// The newest completed snapshot (by scheduledTime; createdAt on a dedicated cluster),
    /// instead of --snapshot-id.
    #[arg(long)]
    pub(crate) latest: bool,
    /// API version of the M2/M5 endpoint (flex and dedicated are always v2).
    #[arg(long, value_enum, default_value = "v1", conflicts_with = "flex")]
    pub(crate) api_version: ApiVersionArg,
    /// Ask Atlas to pretty-print (`pretty=true`); the body is then shown as Atlas sent it.
    #[arg(long)]
    pub(crate) pretty: bool,
    /// Ask Atlas to wrap the answer (`envelope=true`).
    #[arg(long)]
    pub(crate) envelope: bool,
    /// Give up after this long (exit 5), e.g. 30s, 2m; 0 means no limit [default: no limit].
    #[arg(long, value_name = "DURATION", value_parser = parse_time_limit)]
    pub(crate) timeout: Option<TimeLimit>,
}

/// The snapshot id, as `--snapshot-id ID` or as the first argument (the Atlas CLI's way).
#[derive(Debug, Clone, Args)]
#[group(required = false, multiple = false)]
pub(crate) struct SnapshotArg {
    /// Snapshot id (24 hexadecimal digits).
    #[arg(long = "snapshot-id", visible_alias = "snapshotId", value_name = "ID")]
    pub(crate) snapshot_id_flag: Option<String>,
    /// Snapshot id, instead of --snapshot-id.
    #[arg(value_name = "SNAPSHOT_ID")]
    pub(crate) snapshot_id_arg: Option<String>,
}

impl SnapshotArg {
    /// The id as given, if it was.
    pub(crate) fn given(&self) -> Option<&str> {
        self.snapshot_id_flag
            .as_deref()
            .or(self.snapshot_id_arg.as_deref())
    }
}

/// `download`.
#[derive(Debug, Args)]
pub(crate) struct DownloadArgs {
    /// How to reach Atlas.
    #[command(flatten)]
    pub(crate) conn: ConnectionArgs,
    /// Which cluster (a flex cluster).
    #[command(flatten)]
    pub(crate) cluster: ClusterArgs,
    /// Which snapshot.
    #[command(flatten)]
    pub(crate) snapshot: SnapshotArg,
    /// The newest COMPLETED snapshot, instead of --snapshot-id.
    #[arg(long)]
    pub(crate) latest: bool,
    /// Where to write the archive [default: <snapshot-id>.tgz]; `-` for standard output. It is
    /// written to FILE.part and renamed when complete.
    #[arg(long, value_name = "FILE")]
    pub(crate) output_file: Option<PathBuf>,
    /// Replace --output-file if it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// Failed attempts in a row before giving up on a transfer that keeps breaking.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub(crate) retries: u32,
    /// Give up after this long (exit 5), the transfer included; 0 means no limit.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_time_limit)]
    pub(crate) timeout: TimeLimit,
}

/// `restores ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum RestoresCommand {
    /// List a flex cluster's restore jobs (newest first; one page, or every page with --all).
    #[command(after_help = EXIT_CODES_HELP)]
    List(RestoresListArgs),
    /// Show one restore job.
    #[command(after_help = EXIT_CODES_HELP)]
    Get(RestoreJobArgs),
    /// Restore a snapshot into a cluster (needs the Project Backup Recovery Operator role).
    #[command(after_help = EXIT_CODES_HELP)]
    Start(RestoresStartArgs),
    /// Wait until a restore job is COMPLETED (exit 0) or FAILED (exit 6), or the timeout (exit 5).
    #[command(after_help = EXIT_CODES_HELP)]
    Wait(RestoresWaitArgs),
}

/// `restores list`.
#[derive(Debug, Args)]
pub(crate) struct RestoresListArgs {
    /// How to reach Atlas.
    #[command(flatten)]
    pub(crate) conn: ConnectionArgs,
    /// Which cluster.
    #[command(flatten)]
    pub(crate) cluster: ClusterArgs,
    /// Every page (json output: one `{"results": [...], "totalCount": N}` object).
    #[arg(long, conflicts_with = "page")]
    pub(crate) all: bool,
    /// Page number, from 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) page: Option<u32>,
    /// Items per page (1 to 500).
    #[arg(long, visible_alias = "limit", value_name = "M", value_parser = clap::value_parser!(u32).range(1..=500))]
    pub(crate) items_per_page: Option<u32>,
    /// Give up after this long (exit 5); 0 means no limit [default: no limit].
    #[arg(long, value_name = "DURATION", value_parser = parse_time_limit)]
    pub(crate) timeout: Option<TimeLimit>,
}

/// `restores get`.
#[derive(Debug, Args)]
pub(crate) struct RestoreJobArgs {
    /// How to reach Atlas.
    #[command(flatten)]
    pub(crate) conn: ConnectionArgs,
    /// Which cluster.
    #[command(flatten)]
    pub(crate) cluster: ClusterArgs,
    /// Restore job id (24 hexadecimal digits).
    #[arg(long, visible_alias = "restoreJobId", value_name = "ID")]
    pub(crate) restore_job_id: String,
    /// Give up after this long (exit 5); 0 means no limit [default: no limit].
    #[arg(long, value_name = "DURATION", value_parser = parse_time_limit)]
    pub(crate) timeout: Option<TimeLimit>,
}

/// `restores start`.
#[derive(Debug, Args)]
pub(crate) struct RestoresStartArgs {
    /// How to reach Atlas.
    #[command(flatten)]
    pub(crate) conn: ConnectionArgs,
    /// The cluster the snapshot comes from.
    #[command(flatten)]
    pub(crate) cluster: ClusterArgs,
    /// The snapshot to restore (24 hexadecimal digits).
    #[arg(long, visible_alias = "snapshotId", value_name = "ID")]
    pub(crate) snapshot_id: String,
    /// The cluster to restore into (targetDeploymentItemName).
    #[arg(long, value_name = "NAME")]
    pub(crate) target_cluster: String,
    /// The target cluster's project, when it is not the source's.
    #[arg(long, value_name = "ID")]
    pub(crate) target_project_id: Option<String>,
    /// Give up after this long (exit 5); 0 means no limit [default: no limit].
    #[arg(long, value_name = "DURATION", value_parser = parse_time_limit)]
    pub(crate) timeout: Option<TimeLimit>,
}

/// `restores wait`.
#[derive(Debug, Args)]
pub(crate) struct RestoresWaitArgs {
    /// How to reach Atlas.
    #[command(flatten)]
    pub(crate) conn: ConnectionArgs,
    /// Which cluster.
    #[command(flatten)]
    pub(crate) cluster: ClusterArgs,
    /// Restore job id (24 hexadecimal digits).
    #[arg(long, visible_alias = "restoreJobId", value_name = "ID")]
    pub(crate) restore_job_id: String,
    /// Time between two polls, at least 1s.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_interval)]
    pub(crate) interval: Duration,
    /// Give up after this long (exit 5); 0 means no limit.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_time_limit)]
    pub(crate) timeout: TimeLimit,
}

/// `list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// How to reach Atlas.
    #[command(flatten)]
    pub(crate) conn: ConnectionArgs,
    /// Which cluster.
    #[command(flatten)]
    pub(crate) cluster: ClusterArgs,
    /// Every page (json output: one `{"results": [...], "totalCount": N}` object).
    #[arg(long, conflicts_with = "page")]
    pub(crate) all: bool,
    /// Page number, from 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) page: Option<u32>,
    /// Items per page (1 to 500).
    #[arg(long, visible_alias = "limit", value_name = "M", value_parser = clap::value_parser!(u32).range(1..=500))]
    pub(crate) items_per_page: Option<u32>,
    /// Give up after this long (exit 5), e.g. 30s, 2m; 0 means no limit [default: no limit].
    #[arg(long, value_name = "DURATION", value_parser = parse_time_limit)]
    pub(crate) timeout: Option<TimeLimit>,
}

/// `wait`.
#[derive(Debug, Args)]
pub(crate) struct WaitArgs {
    /// How to reach Atlas.
    #[command(flatten)]
    pub(crate) conn: ConnectionArgs,
    /// Which cluster.
    #[command(flatten)]
    pub(crate) cluster: ClusterArgs,
    /// Which snapshot.
    #[command(flatten)]
    pub(crate) snapshot: SnapshotArg,
    /// Time between two polls, at least 1s, e.g. 10s, 2.5s.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_interval)]
    pub(crate) interval: Duration,
    /// Give up after this long (exit 5), polls and pauses included, e.g. 30m, 90s; 0 means no
    /// limit.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_time_limit)]
    pub(crate) timeout: TimeLimit,
}

// `mock`: its arguments live beside the command, in commands/mock.rs.
pub(crate) use crate::commands::MockArgs;

/// `demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Time between two polls of the `wait` step (at least 1s).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_interval)]
    pub(crate) interval: Duration,
}

/// `completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn get_has_no_private_key_flag() {
        let err = Cli::try_parse_from([
            "atlas-snapshots",
            "get",
            "--cluster-name",
            "M2AWS",
            "--snapshot-id",
            "5cc310ace5dc7ce369814bc8",
            "--private-key",
            "x",
        ])
        .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
    }

    #[test]
    fn atlas_cli_spellings_and_the_positional_snapshot_id() {
        let cli = Cli::try_parse_from([
            "atlas-snapshots",
            "get",
            "5cc310ace5dc7ce369814bc8",
            "--clusterName",
            "M2AWS",
            "--projectId",
            "5b69d0349b15c62cdfc38b78",
        ])
        .unwrap();
        let Command::Get(get) = cli.command else {
            panic!()
        };
        assert_eq!(get.snapshot.given(), Some("5cc310ace5dc7ce369814bc8"));
        assert_eq!(get.cluster.cluster_name, "M2AWS");
        assert_eq!(
            get.cluster.group_id.as_deref(),
            Some("5b69d0349b15c62cdfc38b78")
        );
        let both = Cli::try_parse_from([
            "atlas-snapshots",
            "wait",
            "5cc310ace5dc7ce369814bc8",
            "--snapshot-id",
            "5cc310ace5dc7ce369814bc8",
            "--cluster-name",
            "M2AWS",
        ]);
        assert!(both.is_err());
        // Neither is caught by the command itself (get --latest needs none).
        let neither = Cli::try_parse_from(["atlas-snapshots", "wait", "--cluster-name", "M2AWS"]);
        assert!(neither.is_ok());
    }

    #[test]
    fn take_and_delete_name_a_dedicated_cluster() {
        let cli = Cli::try_parse_from([
            "atlas-snapshots",
            "take",
            "--clusterName",
            "Cluster0",
            "--description",
            "before",
            "--retention-days",
            "7",
            "--wait",
            "--interval",
            "2s",
        ])
        .unwrap();
        let Command::Take(take) = cli.command else {
            panic!()
        };
        let cluster = take.cluster.as_cluster_args();
        assert_eq!(cluster.forced_kind(), Some(KindArg::Dedicated));
        assert_eq!(cluster.cluster_name, "Cluster0");
        assert_eq!(take.retention_days, Some(7));
        assert!(take.wait);
        for bad in [
            &[
                "atlas-snapshots",
                "take",
                "--cluster-name",
                "C",
                "--retention-days",
                "0",
            ][..],
            &[
                "atlas-snapshots",
                "take",
                "--cluster-name",
                "C",
                "--interval",
                "5s",
            ],
            &[
                "atlas-snapshots",
                "take",
                "--cluster-name",
                "C",
                "--kind",
                "flex",
            ],
            &["atlas-snapshots", "delete", "--cluster-name", "C", "--flex"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
        let cli = Cli::try_parse_from([
            "atlas-snapshots",
            "delete",
            "6740a1f2c3d4e5f6a7b8c9e1",
            "--cluster-name",
            "Cluster0",
            "-y",
        ])
        .unwrap();
        let Command::Delete(delete) = cli.command else {
            panic!()
        };
        assert!(delete.yes);
        assert_eq!(delete.snapshot.given(), Some("6740a1f2c3d4e5f6a7b8c9e1"));
        let get = Cli::try_parse_from([
            "atlas-snapshots",
            "get",
            "--cluster-name",
            "Cluster0",
            "--latest",
            "--kind",
            "dedicated",
        ])
        .unwrap();
        let Command::Get(get) = get.command else {
            panic!()
        };
        assert_eq!(get.cluster.forced_kind(), Some(KindArg::Dedicated));
    }

    #[test]
    fn flex_conflicts_with_api_version() {
        let r = Cli::try_parse_from([
            "atlas-snapshots",
            "get",
            "--cluster-name",
            "F",
            "--snapshot-id",
            "5cc310ace5dc7ce369814bc8",
            "--flex",
            "--api-version",
            "v2",
        ]);
        assert!(r.is_err());
    }
}
