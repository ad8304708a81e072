//! `cargo xtask release <version> [--dry-run] [--skip-ci] [--no-verify]`.
//!
//! 1. checks the version, and that the work tree is clean;
//! 2. runs `cargo xtask ci` (unless `--skip-ci`, for when it has just run);
//! 3. sets the version across the workspace (`[workspace.package]` and our `[workspace.dependencies]`);
//! 4. moves CHANGELOG's Unreleased section under `## [<version>] - <date>`;
//! 5. packages every publishable crate in dependency order (`cargo package`, verified unless
//!    `--no-verify`) and checks each file list: README included, nothing over [`MAX_FILE_BYTES`];
//! 6. runs `cargo publish --dry-run` for the whole set;
//! 7. commits and tags `v<version>`; with `--dry-run` instead restores every file it changed.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::util::{cargo, exec_in, output_in};

/// Publishable crates, in dependency order.
pub(crate) const CRATES: [&str; 6] = [
    "atlas-model",
    "atlas-digest",
    "atlas-transport",
    "atlas-snapshots",
    "atlas-mock",
    "atlas-snapshots-cli",
];

/// The largest file a package may carry; fixtures bigger than this are not needed.
pub(crate) const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Files allowed over [`MAX_FILE_BYTES`], each by name and with its own bound: (crate, path in the
/// package, most bytes). Keep this list short; every entry says why it ships.
pub(crate) const LARGE_FILES: &[(&str, &str, u64)] = &[
    // The independent (Python, hashlib only) digest vectors the crate's tests read byte for byte.
    (
        "atlas-digest",
        "tests/vectors/digest-vectors.txt",
        256 * 1024,
    ),
];

/// The most bytes `file` of `krate`'s package may have.
fn size_bound(krate: &str, file: &str) -> u64 {
    LARGE_FILES
        .iter()
        .find(|(k, f, _)| *k == krate && *f == file)
        .map_or(MAX_FILE_BYTES, |(_, _, max)| *max)
}

/// Parsed command line of the task.
#[derive(Debug, Default)]
pub(crate) struct Options {
    pub(crate) version: String,
    pub(crate) dry_run: bool,
    pub(crate) skip_ci: bool,
    pub(crate) no_verify: bool,
}

impl Options {
    pub(crate) fn parse(args: &[String]) -> Result<Options> {
        let mut opts = Options::default();
        for arg in args {
            match arg.as_str() {
                "--dry-run" => opts.dry_run = true,
                "--skip-ci" => opts.skip_ci = true,
                "--no-verify" => opts.no_verify = true,
                flag if flag.starts_with('-') => bail!("unknown flag `{flag}`"),
                v if opts.version.is_empty() => opts.version = v.to_owned(),
                extra => bail!("unexpected argument `{extra}`"),
            }
        }
        ensure!(
            !opts.version.is_empty(),
            "usage: cargo xtask release <version> [--dry-run] [--skip-ci] [--no-verify]"
        );
        check_version(&opts.version)?;
        Ok(opts)
    }
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let opts = Options::parse(args)?;
    release(&crate::util::root(), &opts, today())
}

/// Checks `MAJOR.MINOR.PATCH` with an optional `-pre` part of `[0-9A-Za-z.-]`.
pub(crate) fn check_version(v: &str) -> Result<()> {
    let (core, pre) = match v.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (v, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &&str| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && (p.len() == 1 || !p.starts_with('0'))
    };
    ensure!(
        parts.len() == 3 && parts.iter().all(numeric),
        "version `{v}` is not MAJOR.MINOR.PATCH"
    );
    if let Some(pre) = pre {
        ensure!(
            !pre.is_empty()
                && pre
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
            "version `{v}` has an invalid pre-release part"
        );
    }
    Ok(())
}

/// The release itself, on the workspace at `root`, dated `date` (`YYYY-MM-DD`).
pub(crate) fn release(root: &Path, opts: &Options, date: String) -> Result<()> {
    let status = output_in(root, Command::new("git").args(["status", "--porcelain"]))?;
    ensure!(
        status.trim().is_empty(),
        "the work tree is not clean; commit or stash first:\n{status}"
    );
    if !opts.skip_ci {
        crate::ci::run(&[])?;
    }

    let manifest_path = root.join("Cargo.toml");
    let changelog_path = root.join("CHANGELOG.md");
    let manifest = fs::read_to_string(&manifest_path).context("reading Cargo.toml")?;
    let changelog = fs::read_to_string(&changelog_path).context("reading CHANGELOG.md")?;
    let lock_path = root.join("Cargo.lock");
    let lock = fs::read_to_string(&lock_path).context("reading Cargo.lock")?;
    let new_manifest = set_version(&manifest, &opts.version)?;
    let new_changelog = move_unreleased(&changelog, &opts.version, &date)?;
    fs::write(&manifest_path, &new_manifest)?;
    fs::write(&changelog_path, &new_changelog)?;

    let outcome = package_and_check(root, opts);
    if opts.dry_run || outcome.is_err() {
        // Leave the tree exactly as it was.
        fs::write(&manifest_path, manifest)?;
        fs::write(&changelog_path, changelog)?;
        fs::write(&lock_path, lock)?;
    }
    outcome?;
    if opts.dry_run {
        eprintln!(
            "\nxtask release: dry run of v{} passed; nothing committed or tagged",
            opts.version
        );
        return Ok(());
    }
    exec_in(
        root,
        Command::new("git").args(["add", "Cargo.toml", "Cargo.lock", "CHANGELOG.md"]),
    )?;
    let message = format!("Release v{}", opts.version);
    exec_in(
        root,
        Command::new("git").args(["commit", "-q", "-m", &message]),
    )?;
    let tag = format!("v{}", opts.version);
    exec_in(
        root,
        Command::new("git").args(["tag", "-a", &tag, "-m", &message]),
    )?;
    eprintln!("\nxtask release: committed and tagged {tag}; push with `git push --follow-tags`");
    Ok(())
}

fn package_and_check(root: &Path, opts: &Options) -> Result<()> {
    let mut package = cargo(&["package", "--allow-dirty"]);
    for krate in CRATES {
        package.args(["-p", krate]);
    }
    if opts.no_verify {
        package.arg("--no-verify");
    }
    exec_in(root, &mut package)?;
    for krate in CRATES {
        check_file_list(root, krate)?;
    }
    let mut publish = cargo(&["publish", "--dry-run", "--allow-dirty", "--no-verify"]);
    for krate in CRATES {
        publish.args(["-p", krate]);
    }
    exec_in(root, &mut publish)
}

/// The package of `krate` includes a README and no file over [`MAX_FILE_BYTES`] (or its bound in
/// [`LARGE_FILES`]).
fn check_file_list(root: &Path, krate: &str) -> Result<()> {
    let list = output_in(
        root,
        &mut cargo(&["package", "--list", "--allow-dirty", "-p", krate]),
    )?;
    let files: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    ensure!(
        files.iter().any(|f| f.eq_ignore_ascii_case("README.md")),
        "package {krate} has no README.md"
    );
    let dir = crate_dir(root, krate)?;
    for file in &files {
        let path = dir.join(file);
        if let Ok(meta) = fs::metadata(&path) {
            let bound = size_bound(krate, file);
            ensure!(
                meta.len() <= bound,
                "package {krate} carries {file} ({} bytes, more than {bound})",
                meta.len()
            );
        }
    }
    eprintln!(
        "package {krate}: {} files, README included, none over {MAX_FILE_BYTES} bytes",
        files.len()
    );
    Ok(())
}

fn crate_dir(root: &Path, krate: &str) -> Result<std::path::PathBuf> {
    for entry in fs::read_dir(root.join("crates"))? {
        let dir = entry?.path();
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        if manifest
            .lines()
            .any(|l| l.trim() == format!("name = \"{krate}\""))
        {
            return Ok(dir);
        }
    }
    bail!("no crate named {krate} under crates/")
}

/// Sets `version` in `[workspace.package]` and on our crates in `[workspace.dependencies]`.
pub(crate) fn set_version(manifest: &str, version: &str) -> Result<String> {
    let mut section = String::new();
    let mut changed = 0;
    let mut out = String::with_capacity(manifest.len());
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        let new_line = if section == "[workspace.package]" && trimmed.starts_with("version =") {
            changed += 1;
            format!("version = \"{version}\"\n")
        } else if section == "[workspace.dependencies]"
            && trimmed.starts_with("atlas-")
            && trimmed.contains("path = \"crates/")
        {
            changed += 1;
            replace_version_field(line, version)
                .with_context(|| format!("no version field in `{trimmed}`"))?
        } else {
            line.to_owned()
        };
        out.push_str(&new_line);
    }
    ensure!(
        changed >= 2,
        "found no workspace version to set in Cargo.toml"
    );
    Ok(out)
}

fn replace_version_field(line: &str, version: &str) -> Option<String> {
    let start = line.find("version = \"")? + "version = \"".len();
    let end = start + line[start..].find('"')?;
    Some(format!("{}{version}{}", &line[..start], &line[end..]))
}

/// Moves the body of `## [Unreleased]` under a new `## [<version>] - <date>` heading.
pub(crate) fn move_unreleased(changelog: &str, version: &str, date: &str) -> Result<String> {
    let heading = "## [Unreleased]";
    let at = changelog
        .find(heading)
        .context("CHANGELOG.md has no `## [Unreleased]` section")?;
    let body_start = at + heading.len();
    let body_end = changelog[body_start..]
        .find("\n## [")
        .map_or(changelog.len(), |i| body_start + i + 1);
    let body = changelog[body_start..body_end].trim();
    ensure!(
        !body.is_empty(),
        "CHANGELOG.md's Unreleased section is empty: nothing to release"
    );
    ensure!(
        !changelog.contains(&format!("## [{version}]")),
        "CHANGELOG.md already has a section for {version}"
    );
    Ok(format!(
        "{}{heading}\n\n## [{version}] - {date}\n\n{body}\n\n{}",
        &changelog[..at],
        &changelog[body_end..]
    )
    .trim_end()
    .to_owned()
        + "\n")
}

/// Today's date in UTC as `YYYY-MM-DD` (civil-from-days, no dependency).
pub(crate) fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

pub(crate) fn civil_date(days_since_epoch: i64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = days_since_epoch + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_files_may_be_large() {
        assert_eq!(
            size_bound("atlas-digest", "tests/vectors/digest-vectors.txt"),
            256 * 1024
        );
        assert_eq!(
            size_bound("atlas-digest", "tests/other.txt"),
            MAX_FILE_BYTES
        );
        assert_eq!(
            size_bound("atlas-mock", "tests/vectors/digest-vectors.txt"),
            MAX_FILE_BYTES
        );
    }

    #[test]
    fn versions() {
        for ok in ["0.1.0", "1.20.3", "0.2.0-rc.1"] {
            assert!(check_version(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.x",
            "01.2.3",
            "1.2.3-",
            "1.2.3-a b",
            "v1.2.3",
        ] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_782), "2024-02-29");
        assert_eq!(civil_date(20_785), "2026-11-28");
    }

    #[test]
    fn version_is_set_in_both_places_only() {
        let manifest = "[workspace.package]\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace.dependencies]\natlas-model = { path = \"crates/atlas-model\", version = \"0.1.0\" }\nserde = { version = \"1\" }\n";
        let out = set_version(manifest, "0.2.0").unwrap();
        assert!(out.contains("[workspace.package]\nversion = \"0.2.0\"\n"));
        assert!(
            out.contains("atlas-model = { path = \"crates/atlas-model\", version = \"0.2.0\" }")
        );
        assert!(out.contains("serde = { version = \"1\" }"));
        assert!(set_version("[package]\nname = \"x\"\n", "0.2.0").is_err());
    }

    #[test]
    fn unreleased_moves_under_the_version() {
        let log = "# Changelog\n\n## [Unreleased]\n\n### Added\n- a thing\n\n## [0.0.1] - 2026-01-01\n\n- old\n";
        let out = move_unreleased(log, "0.1.0", "2026-11-28").unwrap();
        assert_eq!(
            out,
            "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-11-28\n\n### Added\n- a thing\n\n## [0.0.1] - 2026-01-01\n\n- old\n"
        );
        assert!(move_unreleased("# Changelog\n\n## [Unreleased]\n\n", "0.1.0", "x").is_err());
        assert!(move_unreleased("# Changelog\n", "0.1.0", "x").is_err());
        assert!(
            move_unreleased(&out, "0.1.0", "x").is_err(),
            "twice is refused"
        );
    }

    /// A throwaway clone of this repository's committed HEAD, removed when dropped.
    struct TempClone(std::path::PathBuf);

    impl TempClone {
        fn new() -> TempClone {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let dir =
                std::env::temp_dir().join(format!("xtask-release-{}-{nanos}", std::process::id()));
            let status = Command::new("git")
                .args(["clone", "--quiet", "--no-hardlinks"])
                .arg(crate::util::root())
                .arg(&dir)
                .status()
                .expect("git clone");
            assert!(status.success(), "git clone failed");
            for (k, v) in [
                ("user.name", "xtask test"),
                ("user.email", "xtask@example.invalid"),
            ] {
                let st = Command::new("git")
                    .args(["config", k, v])
                    .current_dir(&dir)
                    .status()
                    .unwrap();
                assert!(st.success());
            }
            TempClone(dir)
        }

        fn git(&self, args: &[&str]) -> String {
            output_in(&self.0, Command::new("git").args(args)).unwrap()
        }

        fn read(&self, file: &str) -> String {
            fs::read_to_string(self.0.join(file)).unwrap()
        }
    }

    impl Drop for TempClone {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn options(version: &str, dry_run: bool) -> Options {
        Options {
            version: version.into(),
            dry_run,
            skip_ci: true,
            no_verify: true,
        }
    }

    /// The whole task on a temporary clone (CI already ran; packages are not compiled again):
    /// a dry run leaves everything as it was; a real run bumps, moves the changelog, commits and
    /// tags; a dirty tree is refused. The real repository is never touched.
    #[test]
    fn release_on_a_temporary_clone() {
        let repo = TempClone::new();
        let manifest = repo.read("Cargo.toml");
        let changelog = repo.read("CHANGELOG.md");
        let head = repo.git(&["rev-parse", "HEAD"]);

        release(&repo.0, &options("0.2.0", true), "2026-11-28".into()).expect("dry run passes");
        assert_eq!(
            repo.read("Cargo.toml"),
            manifest,
            "a dry run restores Cargo.toml"
        );
        assert_eq!(
            repo.read("CHANGELOG.md"),
            changelog,
            "a dry run restores CHANGELOG.md"
        );
        assert_eq!(
            repo.git(&["status", "--porcelain"]).trim(),
            "",
            "a dry run leaves a clean tree"
        );
        assert_eq!(
            repo.git(&["rev-parse", "HEAD"]),
            head,
            "a dry run commits nothing"
        );
        assert_eq!(
            repo.git(&["tag", "--list"]).trim(),
            "",
            "a dry run tags nothing"
        );

        release(&repo.0, &options("0.2.0", false), "2026-11-28".into()).expect("release passes");
        assert!(
            repo.read("Cargo.toml")
                .contains("[workspace.package]\nversion = \"0.2.0\"")
        );
        assert!(
            repo.read("Cargo.toml")
                .contains("path = \"crates/atlas-model\", version = \"0.2.0\"")
        );
        let log = repo.read("CHANGELOG.md");
        assert!(
            log.contains("## [Unreleased]\n\n## [0.2.0] - 2026-11-28\n"),
            "{log}"
        );
        assert_eq!(
            repo.git(&["log", "-1", "--format=%s"]).trim(),
            "Release v0.2.0"
        );
        assert_eq!(repo.git(&["tag", "--list"]).trim(), "v0.2.0");
        assert_eq!(
            repo.git(&["status", "--porcelain"]).trim(),
            "",
            "everything was committed"
        );

        fs::write(repo.0.join("stray.txt"), "x").unwrap();
        let err = release(&repo.0, &options("0.3.0", true), "2026-11-28".into()).unwrap_err();
        assert!(err.to_string().contains("not clean"), "{err}");
        assert!(Options::parse(&["0.3".into()]).is_err());
        assert!(Options::parse(&["0.3.0".into(), "--bogus".into()]).is_err());
    }
}
