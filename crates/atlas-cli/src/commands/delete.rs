//! `delete`: delete one snapshot of a dedicated cluster. On a terminal it shows what would go
//! and asks; otherwise it needs `--yes`, and refuses before sending anything.

use atlas_snapshots::AnySnapshot;

use crate::cli::{DeleteArgs, KindArg};
use crate::errors::{CliError, Exit};
use crate::failure::{Scope, describe};
use crate::output::Ui;
use crate::tables::format_size;

pub(super) async fn run(args: DeleteArgs, ui: Ui) -> Result<Exit, CliError> {
    let Some(raw) = args.snapshot.given() else {
        return Err(CliError::usage("no snapshot id")
            .with_hint("pass --snapshot-id ID, or the id as the first argument"));
    };
    let id = super::snapshot_id(raw)?;
    if !args.yes && !ui.stdin_tty {
        return Err(CliError::usage(format!(
            "refusing to delete snapshot {id} without confirmation: standard input is not a terminal"
        ))
        .with_hint("pass --yes to delete without being asked"));
    }
    let limit = args.timeout.and_then(|t| t.duration());
    let cluster = args.cluster.as_cluster_args();
    let mut session = super::connect(&args.conn, &cluster, ui, limit)?;
    session.target.scope = Scope::Command {
        name: "delete",
        kind: KindArg::Dedicated,
    };
    let s = &session;
    if !args.yes {
        // Show what would be deleted (an unknown snapshot ends here, exit 3), then ask. The
        // time spent answering is not part of --timeout: each request has its own.
        let snapshot = super::within(limit, async {
            s.client
                .dedicated_snapshots()
                .get(&s.group, &s.cluster, &id)
                .send()
                .await
                .map_err(|e| describe(&e, &s.target))
        })
        .await?;
        let question = format!(
            "Delete snapshot {id} of cluster {} ({})? [y/N] ",
            s.cluster,
            summary(&AnySnapshot::Dedicated(snapshot))
        );
        if !confirm(question).await? {
            return Err(CliError::new(
                Exit::Api,
                format!("snapshot {id} not deleted: the answer was not yes"),
            ));
        }
    }
    super::within(limit, async {
        s.client
            .dedicated_snapshots()
            .delete(&s.group, &s.cluster, &id)
            .send()
            .await
            .map_err(|e| describe(&e, &s.target))
    })
    .await?;
    tracing::info!(stats = ?s.client.stats(), "delete done");
    eprintln!("deleted snapshot {id} of cluster {}", s.cluster);
    Ok(Exit::Ok)
}

/// `completed, onDemand, 2.0 GiB, created 2026-11-30T09:00:12Z, "before the upgrade"`.
fn summary(s: &AnySnapshot) -> String {
    let mut parts: Vec<String> = vec![s.status_str().unwrap_or("no status").to_owned()];
    if let Some(c) = s.as_cloud() {
        if let Some(t) = &c.snapshot_type {
            parts.push(t.to_string());
        }
        if let Some(b) = c.storage_size_bytes {
            parts.push(format_size(b));
        }
    }
    if let Some(t) = s.taken_at() {
        parts.push(format!("created {}", atlas_model::format_timestamp(&t)));
    }
    if let Some(d) = s.as_cloud().and_then(|c| c.description.as_deref()) {
        if !d.is_empty() {
            parts.push(format!("{d:?}"));
        }
    }
    parts.join(", ")
}

/// Asks `question` on stderr and reads the answer from standard input: `y` or `yes` (any case)
/// is yes; anything else, or the end of input, is no.
async fn confirm(question: String) -> Result<bool, CliError> {
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(question.as_bytes());
        let _ = err.flush();
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|e| CliError::new(Exit::Api, format!("cannot read the answer: {e}")))?
    .map_err(|e| CliError::new(Exit::Api, format!("cannot read the answer: {e}")))?;
    Ok(is_yes(&answer))
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_yes_is_yes() {
        for yes in ["y\n", "Y", " yes \r\n", "YES"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "yep", "y y", "oui"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn the_question_says_what_goes() {
        let s = atlas_model::parse_cloud_snapshot(
            r#"{"id":"6740a1f2c3d4e5f6a7b8c9e1","status":"completed","snapshotType":"onDemand","storageSizeBytes":2147483648,"createdAt":"2026-11-30T09:00:12Z","description":"before the upgrade"}"#,
        )
        .unwrap();
        assert_eq!(
            summary(&AnySnapshot::Dedicated(s)),
            r#"completed, onDemand, 2.0 GiB, created 2026-11-30T09:00:12Z, "before the upgrade""#
        );
    }
}
