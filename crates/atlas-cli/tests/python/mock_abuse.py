"""The abuse cases of issue 13 against the `mock` command, with the mock's own counters as the
witness: 300 connections each sending a 380 KB unfinished header (the mock answers 431 and closes
every one); 300 connections each holding a 60 KB unfinished header, under the size cap (the mock
closes every one when the header read timeout runs out); then 1,000 unauthenticated requests with
60 KB paths (the journal stays within its byte bound, each path cut). Prints the mock's RSS at the
start, its peak during each case (sampled every 2 ms) and after it: figures for the report; memory
is never asserted here, the counters are. Arguments are passed to the mock."""

import faulthandler
import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from mockctl import Mock, check  # noqa: E402

SLOW = int(os.environ.get("SLOW_CONNECTIONS", "300"))
HEADER = int(os.environ.get("HEADER_BYTES", str(380 * 1024)))
LONG = int(os.environ.get("LONG_REQUESTS", "1000"))
PATH_BYTES = 60 * 1024
# Which cases to run (all by default); run one per process to measure each alone.
CASES = os.environ.get("CASES", "oversized,held,long").split(",")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return -1


class Peak:
    """Samples the mock's RSS every 2 ms while a case runs."""

    def __init__(self, pid):
        self.pid, self.peak, self.done = pid, rss_kib(pid), False
        # A daemon: a failed check must not leave the interpreter waiting for it at exit.
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        import time
        while not self.done:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.002)

    def stop(self):
        self.done = True
        self.thread.join()
        return self.peak


def hold(host, port, head, count):
    """`count` connections each sending `head` and waiting to be closed; returns what they got."""
    socks = []
    for _ in range(count):
        s = socket.create_connection((host, port), timeout=60)
        s.settimeout(120)
        socks.append(s)
    answers = [None] * count

    def one(i):
        try:
            socks[i].sendall(head)
        except (ConnectionResetError, BrokenPipeError):
            pass
        except socket.timeout:
            answers[i] = b"<client timed out sending>"
            return
        answers[i] = read_to_close(socks[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in socks:
        s.close()
    return answers


def read_to_close(sock):
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        return data + b"<client timed out reading>"
    return data


# A run that stalls prints every thread's stack and ends (instead of hanging the test binary).
faulthandler.dump_traceback_later(int(os.environ.get("ABUSE_DEADLINE_S", "150")), exit=True)

mock = Mock(*sys.argv[1:])
pid = mock.proc.pid
host, port = mock.url.split("//")[1].rsplit(":", 1)
port = int(port)
report = {"rss_start_kib": rss_kib(pid)}


def closed_counts():
    status, stats = mock.admin("GET", "/__mock/stats")
    check(status == 200, stats)
    return stats["headersTooLarge"], stats["headerTimeouts"], stats["requests"]


def counts_once_settled(done):
    """The counters once `done(counts)` holds, or as they are after 30 s.

    The mock counts a closed connection when hyper's connection future ends, which can be just
    after the client has seen the close: the counters are eventually exact, not at the instant the
    last socket closes. Polling until they settle is the invariant that holds on every schedule."""
    import time
    end = time.monotonic() + 30
    while True:
        counts = closed_counts()
        if done(counts) or time.monotonic() > end:
            return counts
        time.sleep(0.05)


def oversized():
    """300 connections each send a 380 KB head without the blank line and wait to be closed.

    Each is closed by the mock, and counted once: as too large (431) when its first 64 KiB arrive
    within the header read timeout, as a timeout otherwise (a client slowed down by a loaded
    machine). Which one is a matter of scheduling; that every one is closed, and counted, is not."""
    large0, timeouts0, requests0 = closed_counts()
    peak = Peak(pid)
    filler = b"GET /api/atlas/v1.0/groups HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * HEADER
    answers = hold(host, port, filler, SLOW)
    check(all(a == b"" or a.startswith(b"HTTP/1.1 431") for a in answers), "431 or closed")
    large, timeouts, requests = counts_once_settled(
        lambda c: (c[0] - large0) + (c[1] - timeouts0) >= SLOW
    )
    check((large - large0) + (timeouts - timeouts0) == SLOW, (large, timeouts))
    check(requests == requests0, "nothing reached the handler")
    report["oversized"] = {
        "peak_kib": peak.stop(),
        "after_kib": rss_kib(pid),
        "closed": SLOW,
        "headersTooLarge": large - large0,
    }


def held():
    """300 connections each hold a 60 KB head (under the cap) until the header timeout closes them."""
    large0, timeouts0, _ = closed_counts()
    peak = Peak(pid)
    filler = b"GET /api/atlas/v1.0/groups HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * (60 * 1024)
    answers = hold(host, port, filler, SLOW)
    check(all(a == b"" for a in answers), "closed without an answer")
    # Under the cap, a held head can only end by the timeout: exactly SLOW of them.
    large, timeouts, _ = counts_once_settled(lambda c: c[1] - timeouts0 >= SLOW)
    check((large, timeouts - timeouts0) == (large0, SLOW), (large, timeouts))
    report["held"] = {"peak_kib": peak.stop(), "after_kib": rss_kib(pid), "headerTimeouts": SLOW}


def long_paths():
    """1,000 unauthenticated requests with 60 KB paths on one keep-alive connection."""
    path = "/api/atlas/v1.0/groups/" + "g" * PATH_BYTES
    peak = Peak(pid)
    conn = socket.create_connection((host, port), timeout=60)
    conn.settimeout(120)

    def more():
        chunk = conn.recv(65536)
        check(chunk != b"", "the mock closed the keep-alive connection mid-way")
        return chunk

    buf = b""
    for _ in range(LONG):
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        while b"\r\n\r\n" not in buf:
            buf += more()
        head, buf = buf.split(b"\r\n\r\n", 1)
        check(head.startswith(b"HTTP/1.1 401"), head[:80])
        length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
        while len(buf) < length:
            buf += more()
        buf = buf[length:]
    conn.close()
    top = peak.stop()
    status, stats = mock.admin("GET", "/__mock/stats")
    check(stats["requests"] == LONG, stats)
    check(stats["journalBytes"] <= stats["journalMaxBytes"], stats)
    status, journal = mock.admin("GET", "/__mock/journal")
    check(len(journal) == stats["journalLen"], (len(journal), stats))
    check(all(len(e["path"]) < 1100 and "...[+" in e["path"] for e in journal), journal[0]["path"][-40:])
    report["long_paths"] = {
        "peak_kib": top,
        "after_kib": rss_kib(pid),
        "journalLen": stats["journalLen"],
        "journalBytes": stats["journalBytes"],
    }


try:
    for name, case in [("oversized", oversized), ("held", held), ("long", long_paths)]:
        if name in CASES:
            case()
finally:
    code, last, err = mock.stop()
check(code == 0, (code, err))
print(json.dumps(report))
