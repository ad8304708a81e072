//! The terminal paths, through a pseudo-terminal made by Python's standard `pty` module: the
//! `wait` spinner (elapsed time and status), colors, and the no-echo private key prompt.

mod common;

use std::process::Command;

use atlas_mock::seed;
use common::pty::strip_ansi;
use common::{TestMock, text};

fn on_pty(mock: &TestMock, args: &[&str]) -> Command {
    common::pty::on_pty(&mock.cmd(), args)
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
