//! The terminal paths, through a pseudo-terminal made by Python's standard `pty` module: the
//! `wait` spinner (elapsed time and status), colors, and the no-echo private key prompt.

mod common;

use std::process::Command;

use atlas_mock::seed;
use common::{TestMock, text};

/// Runs argv[1..] on a pseudo-terminal (stdin, stdout and stderr), copies everything it drew to
/// stdout, and exits with its exit code. When PTY_ANSWER is set, types it (and Enter) once the
/// program asks for the private key.
const PTY_RUNNER: &str = r#"
import os, pty, sys, termios, time
answer = os.environ.pop("PTY_ANSWER", None)
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if answer is not None and b"Private API key for" in out:
        # Type only once the program has switched echo off, as a person would (a little later).
        for _ in range(500):
            if not termios.tcgetattr(fd)[3] & termios.ECHO:
                break
            time.sleep(0.01)
        os.write(fd, answer.encode() + b"\n")
        answer = None
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
"#;

/// `text` without ANSI escape sequences (CSI ... final byte).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn on_pty(mock: &TestMock, args: &[&str]) -> Command {
    let bin = assert_cmd::cargo::cargo_bin("atlas-snapshots");
    let template = mock.cmd();
    let mut c = Command::new("python3");
    c.arg("-c").arg(PTY_RUNNER).arg(&bin).args(args);
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.env("TERM", "xterm-256color");
    c
}

#[test]
fn wait_on_a_terminal_shows_a_spinner_with_elapsed_time_and_status() {
    let mock = TestMock::start();
    // A QUEUED snapshot that never moves: the spinner runs until --timeout, however loaded the
    // machine is.
    let out = on_pty(
        &mock,
        &[
            "wait",
            "--cluster-name",
            seed::CLUSTER_NAME,
            "--snapshot-id",
            "5cc310ace5dc7ce369814bcd",
            "--interval",
            "1s",
            "--timeout",
            "3500ms",
        ],
    )
    .output()
    .expect("python3 runs");
    let screen = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{screen}\n{}",
        text(&out.stderr)
    );
    // Spinner frames, redrawn in place.
    let frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
    let seen = frames.chars().filter(|c| screen.contains(*c)).count();
    assert!(seen >= 3, "spinner frames: {seen} in {screen:?}");
    assert!(
        screen.contains('\r') || screen.contains("\x1b["),
        "{screen:?}"
    );
    // The prefix, the current status in color, and indicatif's elapsed time.
    assert!(
        screen.contains("waiting for snapshot 5cc310ace5dc7ce369814bcd"),
        "{screen:?}"
    );
    assert!(screen.contains("\x1b[33mQUEUED\x1b[0m (poll"), "{screen:?}");
    // The spinner moves on with every poll, not only with every change (polls at 0, 1, 2, 3 s;
    // the second needs only the first answered within 2.5 s).
    assert!(screen.contains("(poll 2"), "{screen:?}");
    let plain = strip_ansi(&screen);
    let has_elapsed = plain.match_indices("), ").any(|(i, _)| {
        let rest = &plain[i + 3..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && rest[digits..].starts_with('s')
    });
    assert!(has_elapsed, "elapsed time: {plain:?}");
    assert!(plain.contains("error: timed out"), "{plain:?}");
}

#[test]
fn wait_on_a_terminal_ends_with_a_summary_line_and_a_table() {
    let mock = TestMock::start();
    let out = on_pty(
        &mock,
        &[
            "wait",
            "--flex",
            "--cluster-name",
            seed::FLEX_CLUSTER_NAME,
            "--snapshot-id",
            seed::FLEX_SNAPSHOT_ID,
            "--interval",
            "1s",
        ],
    )
    .output()
    .expect("python3 runs");
    let screen = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    let plain = strip_ansi(&screen);
    assert!(
        plain.contains(&format!(
            "✓ snapshot {} is COMPLETED after",
            seed::FLEX_SNAPSHOT_ID
        )),
        "{plain:?}"
    );
    // stdout is a terminal too: a table, status in green.
    assert!(plain.contains("STATUS           COMPLETED"), "{plain:?}");
    assert!(screen.contains("\x1b[32mCOMPLETED\x1b[0m"), "{screen:?}");
}

#[test]
fn no_color_on_a_terminal() {
    let mock = TestMock::start();
    let mut c = on_pty(
        &mock,
        &[
            "get",
            "--cluster-name",
            seed::CLUSTER_NAME,
            "--snapshot-id",
            seed::SNAPSHOT_ID,
        ],
    );
    c.env("NO_COLOR", "1");
    let out = c.output().expect("python3 runs");
    let screen = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(screen.contains("STATUS           FAILED"), "{screen:?}");
    assert!(!screen.contains("\x1b[3"), "{screen:?}");

    // --no-color does the same.
    let out = on_pty(
        &mock,
        &[
            "get",
            "--no-color",
            "--cluster-name",
            seed::CLUSTER_NAME,
            "--snapshot-id",
            seed::SNAPSHOT_ID,
        ],
    )
    .output()
    .expect("python3 runs");
    let screen = text(&out.stdout);
    assert!(screen.contains("STATUS           FAILED"), "{screen:?}");
    assert!(!screen.contains("\x1b["), "{screen:?}");

    // Without either: colors; and -o json is pretty-printed on a terminal.
    let out = on_pty(
        &mock,
        &[
            "get",
            "-o",
            "json",
            "--cluster-name",
            seed::CLUSTER_NAME,
            "--snapshot-id",
            seed::SNAPSHOT_ID,
        ],
    )
    .output()
    .expect("python3 runs");
    let screen = text(&out.stdout);
    assert!(
        screen.contains("{\r\n  \"finishTime\": \"2019-04-26T14:08:07Z\""),
        "{screen:?}"
    );
}

#[test]
fn the_private_key_is_prompted_for_without_echo() {
    let mock = TestMock::start();
    let key = mock.handle.private_key().to_owned();
    let mut c = on_pty(
        &mock,
        &[
            "get",
            "--cluster-name",
            seed::CLUSTER_NAME,
            "--snapshot-id",
            seed::SNAPSHOT_ID,
        ],
    );
    c.env_remove("MONGODB_ATLAS_PRIVATE_API_KEY")
        .env("PTY_ANSWER", &key);
    let out = c.output().expect("python3 runs");
    let screen = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(
        screen.contains(&format!(
            "Private API key for {}: ",
            mock.handle.public_key()
        )),
        "{screen:?}"
    );
    assert!(!screen.contains(&key), "the key was echoed: {screen:?}");
    assert!(screen.contains("FAILED"), "{screen:?}");
}
