//! A pseudo-terminal made by Python's standard `pty` module, for the paths that need one: the
//! spinner, colors, the no-echo key prompt and `delete`'s question.

use std::process::Command;

/// Runs argv[1..] on a pseudo-terminal (stdin, stdout and stderr), copies everything it drew to
/// stdout, and exits with its exit code. When PTY_ANSWER is set, types it (and Enter) once the
/// program has written PTY_PROMPT (default: the private key prompt), after it switched echo off
/// unless PTY_WAIT_NO_ECHO is 0.
const PTY_RUNNER: &str = r#"
import os, pty, sys, termios, time
answer = os.environ.pop("PTY_ANSWER", None)
prompt = os.environ.pop("PTY_PROMPT", "Private API key for").encode()
no_echo = os.environ.pop("PTY_WAIT_NO_ECHO", "1") == "1"
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
    if answer is not None and prompt in out:
        # Type only once the program has switched echo off, as a person would (a little later).
        for _ in range(500 if no_echo else 0):
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
pub fn strip_ansi(text: &str) -> String {
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

/// `template`'s environment, the binary and `args`, run on a pseudo-terminal.
pub fn on_pty(template: &assert_cmd::Command, args: &[&str]) -> Command {
    let bin = assert_cmd::cargo::cargo_bin("atlas-snapshots");
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
