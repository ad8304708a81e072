//! Micro benchmarks: criterion in `atlas-digest` and `atlas-model`, each result beside the floor of
//! its group (the benchmarks whose name contains `floor` or starts with `bare`).

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};

use crate::util::{cargo, exec_in};

/// One criterion result: group, name, median in nanoseconds.
#[derive(Debug, Clone)]
pub(crate) struct Micro {
    pub(crate) group: String,
    pub(crate) name: String,
    pub(crate) median_ns: f64,
}

/// Whether a benchmark is a floor of its group.
pub(crate) fn is_floor(name: &str) -> bool {
    name.contains("floor") || name.starts_with("bare")
}

/// The criterion benches: packages and bench targets.
const CRITERION: [&str; 8] = [
    "-p",
    "atlas-digest",
    "-p",
    "atlas-model",
    "--bench",
    "digest",
    "--bench",
    "decode",
];

/// `atlas-digest`'s own side-by-side ratios to the bare hash floor (`benches/floor_ratios.rs`),
/// pinned to `cpu`; its report as printed.
pub(crate) fn floor_ratios(root: &Path, cpu: &str) -> Result<String> {
    let args = ["bench", "-p", "atlas-digest", "--bench", "floor_ratios"];
    let mut b = cargo(&args);
    b.arg("--no-run");
    exec_in(root, &mut b)?;
    let mut cmd = std::process::Command::new("taskset");
    cmd.args(["-c", cpu])
        .arg(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args);
    crate::util::output_in(root, &mut cmd)
}

/// Runs the criterion benches of the two crates, pinned to `cpu`, and reads the medians.
pub(crate) fn run(root: &Path, cpu: &str, quick: bool) -> Result<Vec<Micro>> {
    let criterion = root.join("target").join("criterion");
    let _ = fs::remove_dir_all(&criterion);
    // Build first (unpinned, it may use every CPU), then measure pinned.
    let mut build = vec!["bench"];
    build.extend(CRITERION);
    let mut b = cargo(&build);
    b.arg("--no-run");
    exec_in(root, &mut b)?;
    let mut cmd = std::process::Command::new("taskset");
    cmd.args(["-c", cpu])
        .arg(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(&build)
        .args([
            "--",
            "--noplot",
            "--warm-up-time",
            "1",
            "--measurement-time",
        ])
        .arg(if quick { "1" } else { "3" });
    exec_in(root, &mut cmd)?;
    let mut out = Vec::new();
    collect(&criterion, &mut out)?;
    out.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
    ensure!(
        !out.is_empty(),
        "criterion wrote no results under {}",
        criterion.display()
    );
    Ok(out)
}

fn collect(dir: &Path, out: &mut Vec<Micro>) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            let bench: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(path.join("benchmark.json"))?)?;
            let est: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(path.join("estimates.json"))?)?;
            let group = bench["group_id"].as_str().unwrap_or("?").to_owned();
            let full = bench["full_id"].as_str().unwrap_or("?");
            let name = full
                .strip_prefix(&format!("{group}/"))
                .unwrap_or(full)
                .to_owned();
            let median_ns = est["median"]["point_estimate"]
                .as_f64()
                .context("median in estimates.json")?;
            out.push(Micro {
                group,
                name,
                median_ns,
            });
        } else {
            collect(&path, out)?;
        }
    }
    Ok(())
}

/// The ratio of `m` to each floor of its group (`case/name` benchmarks: to the floors of the same
/// case), as text.
pub(crate) fn ratios(m: &Micro, all: &[Micro]) -> String {
    if is_floor(&m.name) {
        return "floor".into();
    }
    let same_case = |floor: &str| match (floor.split_once('/'), m.name.split_once('/')) {
        (Some((a, _)), Some((b, _))) => a == b,
        _ => true,
    };
    let parts: Vec<String> = all
        .iter()
        .filter(|f| f.group == m.group && is_floor(&f.name) && same_case(&f.name))
        .map(|f| format!("{:.2}x {}", m.median_ns / f.median_ns, f.name))
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

pub(crate) fn human_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_to_the_floors_of_the_same_group_and_case() {
        let m = |g: &str, n: &str, ns: f64| Micro {
            group: g.into(),
            name: n.into(),
            median_ns: ns,
        };
        let all = vec![
            m("g", "bare_2", 100.0),
            m("g", "client", 150.0),
            m("h", "a/floor", 10.0),
            m("h", "b/floor", 20.0),
            m("h", "a/ours", 5.0),
            m("k", "lonely", 1.0),
        ];
        assert_eq!(ratios(&all[1], &all), "1.50x bare_2");
        assert_eq!(ratios(&all[0], &all), "floor");
        assert_eq!(ratios(&all[4], &all), "0.50x a/floor");
        assert_eq!(ratios(&all[5], &all), "-");
        assert_eq!(human_ns(1500.0), "1.50 µs");
    }
}
