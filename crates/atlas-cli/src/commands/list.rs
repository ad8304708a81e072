//! `list`: one page, or every page with `--all`.

use atlas_model::{Paginated, TenantSnapshot};
use futures_util::StreamExt;

use crate::cli::{ListArgs, OutputFormat};
use crate::errors::{CliError, Exit};
use crate::failure::describe;
use crate::output::{self, Ui};

pub(super) async fn run(args: ListArgs, ui: Ui) -> Result<Exit, CliError> {
    let session = super::connect(&args.conn, &args.cluster, ui, args.timeout)?;
    let s = &session;
    if args.all {
        let snapshots = super::within(args.timeout, async {
            let mut all = Vec::new();
            if args.cluster.flex {
                let mut req = s.client.flex_snapshots().list(&s.group, &s.cluster);
                if let Some(n) = args.items_per_page {
                    req = req.items_per_page(n);
                }
                let mut stream = std::pin::pin!(req.stream());
                while let Some(item) = stream.next().await {
                    all.push(item.map_err(|e| describe(&e, &s.target))?);
                }
            } else {
                let mut req = s.client.tenant_snapshots().list(&s.group, &s.cluster);
                if let Some(n) = args.items_per_page {
                    req = req.items_per_page(n);
                }
                let mut stream = std::pin::pin!(req.stream());
                while let Some(item) = stream.next().await {
                    all.push(item.map_err(|e| describe(&e, &s.target))?);
                }
            }
            Ok(all)
        })
        .await?;
        tracing::info!(count = snapshots.len(), stats = ?s.client.stats(), "list --all done");
        let text = match ui.format {
            OutputFormat::Json => all_as_json(snapshots, ui.stdout_tty)?,
            OutputFormat::Table => {
                let mut t = output::snapshot_table(&snapshots, ui.color_out());
                t.push_str(&format!("{} snapshots\n", snapshots.len()));
                t.into_bytes()
            }
        };
        write(&text)?;
        return Ok(Exit::Ok);
    }

    let response = super::within(args.timeout, async {
        let result = if args.cluster.flex {
            let mut req = s.client.flex_snapshots().list(&s.group, &s.cluster);
            if let Some(n) = args.items_per_page {
                req = req.items_per_page(n);
            }
            if let Some(p) = args.page {
                req = req.page_num(p);
            }
            req.send_full().await
        } else {
            let mut req = s.client.tenant_snapshots().list(&s.group, &s.cluster);
            if let Some(n) = args.items_per_page {
                req = req.items_per_page(n);
            }
            if let Some(p) = args.page {
                req = req.page_num(p);
            }
            req.send_full().await
        };
        result.map_err(|e| describe(&e, &s.target))
    })
    .await?;
    tracing::info!(status = %response.status, bytes = response.body.len(), stats = ?s.client.stats(), "list done");
    super::warn_deprecation(
        response.deprecation.as_deref(),
        response.sunset.as_deref(),
        ui,
    );
    let text = match ui.format {
        OutputFormat::Json => output::json_bytes(&response.body, ui.stdout_tty, false),
        OutputFormat::Table => {
            let page = &response.value;
            let mut t = output::snapshot_table(&page.results, ui.color_out());
            t.push_str(&page_footer(page, args.page.unwrap_or(1)));
            t.into_bytes()
        }
    };
    write(&text)?;
    Ok(Exit::Ok)
}

fn write(bytes: &[u8]) -> Result<(), CliError> {
    output::write_stdout(bytes)
        .map_err(|e| CliError::new(Exit::Api, format!("cannot write to stdout: {e}")))
}

/// `{"results": [...], "totalCount": N}`: the shape of one page, so that `jq '.results[]'`
/// works the same with and without `--all`.
fn all_as_json(snapshots: Vec<TenantSnapshot>, tty: bool) -> Result<Vec<u8>, CliError> {
    let total = snapshots.len() as u64;
    let page = Paginated {
        results: snapshots,
        total_count: Some(total),
        ..Paginated::default()
    };
    let encoded = if tty {
        serde_json::to_vec_pretty(&page).map(|mut v| {
            v.push(b'\n');
            v
        })
    } else {
        serde_json::to_vec(&page)
    };
    encoded.map_err(|e| CliError::new(Exit::Api, format!("cannot encode the list: {e}")))
}

fn page_footer(page: &Paginated<TenantSnapshot>, page_num: u32) -> String {
    let mut s = format!("page {page_num}: {} snapshots", page.results.len());
    if let Some(total) = page.total_count {
        s.push_str(&format!(" of {total}"));
    }
    if page.next_href().is_some() {
        s.push_str(&format!(
            " (next: --page {}, or --all for every page)",
            page_num + 1
        ));
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_json_has_the_page_shape() {
        let snap =
            atlas_model::parse_snapshot(r#"{"id":"5cc310ace5dc7ce369814bc8","status":"FAILED"}"#)
                .unwrap();
        let bytes = all_as_json(vec![snap], false).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"results":[{"id":"5cc310ace5dc7ce369814bc8","status":"FAILED"}],"totalCount":1}"#
        );
    }

    #[test]
    fn footer_mentions_next_page() {
        let page: Paginated<TenantSnapshot> = Paginated {
            total_count: Some(8),
            links: vec![atlas_model::Link {
                href: "http://x/?pageNum=3".into(),
                rel: "next".into(),
            }],
            ..Paginated::default()
        };
        assert_eq!(
            page_footer(&page, 2),
            "page 2: 0 snapshots of 8 (next: --page 3, or --all for every page)\n"
        );
    }
}
