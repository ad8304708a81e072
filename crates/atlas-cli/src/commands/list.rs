//! `list`: one page, or every page with `--all`, of a cluster of any kind (tables show the
//! columns of that kind).

use atlas_snapshots::{AnySnapshotPage, List, ListWarning, Page, PageItem};
use futures_util::TryStreamExt;
use serde_json::value::RawValue;

use crate::cli::{ListArgs, OutputFormat};
use crate::errors::{CliError, Exit};
use crate::failure::describe;
use crate::output::{self, Ui, bold};

pub(super) async fn run(args: ListArgs, ui: Ui) -> Result<Exit, CliError> {
    let limit = args.timeout.and_then(|t| t.duration());
    let session = super::connect(&args.conn, &args.cluster, ui, limit)?;
    let s = &session;
    let forced = args.cluster.forced_kind().map(super::kind_of);
    let request = || {
        let req = s.client.snapshots().list(&s.group, &s.cluster);
        let req = match forced {
            Some(k) => req.kind(k),
            None => req,
        };
        configure(req, args.items_per_page, args.page, ui)
    };
    if args.all {
        let pages = super::within(limit, async {
            request()
                .pages()
                .try_collect()
                .await
                .map_err(|e| describe(&e, &s.target))
        })
        .await?;
        let pages: Vec<AnySnapshotPage> = pages;
        tracing::info!(pages = pages.len(), stats = ?s.client.stats(), "list --all done");
        let text = match ui.format {
            OutputFormat::Json => all_as_json(&pages, ui.stdout_tty)?,
            OutputFormat::Table => {
                let snaps = typed(&pages);
                let skipped: usize = pages.iter().map(|p| p.rejected.len()).sum();
                let mut t = crate::tables::snapshot_table(&snaps, ui.color_out());
                t.push_str(&format!("{} snapshots", snaps.len()));
                if skipped > 0 {
                    t.push_str(&format!(" ({skipped} skipped, see the warnings)"));
                }
                t.push('\n');
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
    tracing::info!(status = %response.status, bytes = response.body.len(), served_by = %response.served_by.url, kind = ?response.served_by.kind, stats = ?s.client.stats(), "list done");
    super::warn_deprecation(
        response.deprecation.as_deref(),
        response.sunset.as_deref(),
        ui,
    );
    let text = match ui.format {
        OutputFormat::Json => output::json_bytes(&response.body, ui.stdout_tty, false),
        OutputFormat::Table => {
            let page = &response.value;
            let snaps = typed(std::slice::from_ref(page));
            let mut t = crate::tables::snapshot_table(&snaps, ui.color_out());
            t.push_str(&page_footer(page, "snapshots"));
            t.into_bytes()
        }
    };
    write(&text)?;
    Ok(Exit::Ok)
}

/// Page size, first page and the warning printer, for any list.
pub(crate) fn configure<'a, K, T: PageItem>(
    mut req: List<'a, K, T>,
    items_per_page: Option<u32>,
    page: Option<u32>,
    ui: Ui,
) -> List<'a, K, T> {
    if let Some(n) = items_per_page {
        req = req.items_per_page(n);
    }
    if let Some(p) = page {
        req = req.page_num(p);
    }
    let color = ui.color_err();
    req.on_warning(move |w: &ListWarning| {
        let line = format!("{} {w}\n", bold("warning:", color));
        let _ = std::io::Write::write_all(
            &mut std::io::stderr().lock(),
            crate::logging::redact(&line).as_bytes(),
        );
    })
}

pub(crate) fn write(bytes: &[u8]) -> Result<(), CliError> {
    output::write_stdout(bytes)
        .map_err(|e| CliError::new(Exit::Api, format!("cannot write to stdout: {e}")))
}

pub(crate) fn typed<T: PageItem>(pages: &[Page<T>]) -> Vec<T> {
    pages
        .iter()
        .flat_map(|p| p.items.iter().map(|s| s.value().clone()))
        .collect()
}

/// Every page's entries in one object of a page's shape, `{"results": [...], "totalCount":
/// N}`, so that `jq '.results[]'` works the same with and without `--all`. Each entry is the
/// JSON Atlas sent, byte for byte (the ones this command could not decode too: they were
/// reported on stderr); on a terminal the whole is pretty-printed.
pub(crate) fn all_as_json<T: PageItem>(pages: &[Page<T>], tty: bool) -> Result<Vec<u8>, CliError> {
    #[derive(serde::Serialize)]
    struct All<'a> {
        results: Vec<&'a RawValue>,
        #[serde(rename = "totalCount")]
        total_count: usize,
    }
    let results: Vec<&RawValue> = pages.iter().flat_map(Page::entries_json).collect();
    let all = All {
        total_count: results.len(),
        results,
    };
    let compact = serde_json::to_vec(&all)
        .map_err(|e| CliError::new(Exit::Api, format!("cannot encode the list: {e}")))?;
    Ok(output::json_bytes(&compact, tty, false))
}

pub(crate) fn page_footer<T: PageItem>(page: &Page<T>, what: &str) -> String {
    let page_num = page.page_num;
    let mut s = format!("page {page_num}: {} {what}", page.items.len());
    if let Some(total) = page.total_count {
        s.push_str(&format!(" of {total}"));
    }
    if !page.rejected.is_empty() {
        s.push_str(&format!(
            ", {} skipped (see the warnings)",
            page.rejected.len()
        ));
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
