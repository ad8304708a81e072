//! Small helpers shared by the tasks: the workspace root and running commands.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The workspace root (the parent of `xtask/`).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Runs `cmd` in the workspace root, echoing it; fails naming the command if it fails.
pub(crate) fn exec(mut cmd: Command) -> Result<()> {
    exec_in(&root(), &mut cmd)
}

/// A `cargo` command with the given arguments.
pub(crate) fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args);
    cmd
}

/// The command line as a user would type it (environment overrides first).
pub(crate) fn show(cmd: &Command) -> String {
    let mut out = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            out.push_str(&format!("{}={} ", k.to_string_lossy(), v.to_string_lossy()));
        }
    }
    out.push_str(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        out.push(' ');
        out.push_str(&a.to_string_lossy());
    }
    out
}

/// Whether `program` can be started (found on PATH).
pub(crate) fn have(program: &str, version_arg: &str) -> bool {
    Command::new(program)
        .arg(version_arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Runs `cmd` in `dir`, echoing it; fails naming the command if it fails.
pub(crate) fn exec_in(dir: &Path, cmd: &mut Command) -> Result<()> {
    let shown = show(cmd);
    eprintln!("\n$ {shown}");
    let status = cmd
        .current_dir(dir)
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Runs `cmd` in `dir` and returns its standard output; fails naming the command if it fails.
pub(crate) fn output_in(dir: &Path, cmd: &mut Command) -> Result<String> {
    let shown = show(cmd);
    let out = cmd
        .current_dir(dir)
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !out.status.success() {
        bail!(
            "`{shown}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
