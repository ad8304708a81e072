"""The abuse cases of issue 13 against the `mock` command, with the mock's own counters as the
witness: 300 connections each sending a 380 KB unfinished header (the mock answers 431 and closes
every one), then 1,000 unauthenticated requests with 60 KB paths (the journal stays within its byte
bound, each path cut). Prints the mock's RSS before and after each case (for the report; memory is
never asserted here: the counters are)."""

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


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


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
    return data


mock = Mock(*sys.argv[1:])
pid = mock.proc.pid
host, port = mock.url.split("//")[1].rsplit(":", 1)
port = int(port)
report = {"rss_start_kib": rss_kib(pid)}
try:
    # Case 1: slow headers. Every connection sends its 380 KB head without the blank line, then
    # waits for the mock to close it.
    socks = []
    for _ in range(SLOW):
        s = socket.create_connection((host, port))
        s.settimeout(120)
        socks.append(s)
    filler = b"GET /api/atlas/v1.0/groups HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * HEADER
    answers = [None] * SLOW

    def one(i):
        try:
            socks[i].sendall(filler)
        except (ConnectionResetError, BrokenPipeError):
            pass
        answers[i] = read_to_close(socks[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(SLOW)]
    for t in threads:
        t.start()
    report["rss_peak_slow_kib"] = rss_kib(pid)
    for t in threads:
        t.join()
    for s in socks:
        s.close()
    check(all(a == b"" or a.startswith(b"HTTP/1.1 431") for a in answers), "431 or closed")
    status, stats = mock.admin("GET", "/__mock/stats")
    check(stats["headersTooLarge"] == SLOW, stats)
    report["after_slow"] = {"rss_kib": rss_kib(pid), "headersTooLarge": stats["headersTooLarge"]}

    # Case 2: 1,000 unauthenticated requests with 60 KB paths, on keep-alive connections.
    path = "/api/atlas/v1.0/groups/" + "g" * PATH_BYTES
    conn = socket.create_connection((host, port))
    conn.settimeout(120)
    buf = b""
    for _ in range(LONG):
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        while b"\r\n\r\n" not in buf:
            buf += conn.recv(65536)
        head, buf = buf.split(b"\r\n\r\n", 1)
        check(head.startswith(b"HTTP/1.1 401"), head[:80])
        length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
        while len(buf) < length:
            buf += conn.recv(65536)
        buf = buf[length:]
    conn.close()
    status, stats = mock.admin("GET", "/__mock/stats")
    check(stats["requests"] == LONG, stats)
    check(stats["journalBytes"] <= stats["journalMaxBytes"], stats)
    status, journal = mock.admin("GET", "/__mock/journal")
    check(len(journal) == stats["journalLen"], (len(journal), stats))
    check(all(len(e["path"]) < 1100 and "...[+" in e["path"] for e in journal), journal[0]["path"][-40:])
    report["after_long"] = {
        "rss_kib": rss_kib(pid),
        "journalLen": stats["journalLen"],
        "journalBytes": stats["journalBytes"],
    }
finally:
    code, last, err = mock.stop()
check(code == 0, (code, err))
print(json.dumps(report))
