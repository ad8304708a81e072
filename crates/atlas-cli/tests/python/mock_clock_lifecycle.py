"""A lifecycle driven with the mock clock, from Python: QUEUED -> RUNNING -> COMPLETED without
sleeping, on a flex cluster created through the admin API with server-chosen ids."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from mockctl import Mock, check  # noqa: E402

ready = os.environ["READY_FILE"]
mock = Mock("--clock", "manual", "--ready-file", ready)
try:
    # The ready file says the same as the JSON line, and is private.
    with open(ready) as f:
        check(json.load(f) == mock.info, "ready file matches the JSON line")
    check(os.stat(ready).st_mode & 0o777 == 0o600, "ready file is 0600")
    check(mock.info["clock"] == {"mode": "manual"}, mock.info["clock"])

    status, group = mock.admin("POST", "/__mock/groups", {})
    check(status == 201, (status, group))
    g = group["id"]
    status, cluster = mock.admin("POST", f"/__mock/groups/{g}/clusters", {"kind": "flex"})
    check(status == 201, (status, cluster))
    c = cluster["name"]
    status, snap = mock.admin(
        "POST",
        f"/__mock/groups/{g}/clusters/{c}/snapshots",
        {
            "mongoDBVersion": "8.0.4",
            "lifecycle": {
                "queuedAfterMs": 0,
                "runningAfterMs": 60_000,
                "doneAfterMs": 600_000,
                "outcome": "COMPLETED",
            },
        },
    )
    check(status == 201, (status, snap))
    s = snap["id"]
    path = f"/api/atlas/v2/groups/{g}/flexClusters/{c}/backup/snapshots/{s}"

    seen = []
    for advance in [0, 59.999, 0.001, 539.999, 0.001]:
        status, clock = mock.admin("POST", "/__mock/clock/advance", {"seconds": advance})
        check(status == 200, (status, clock))
        status, headers, body = mock.get(path, user_agent="mock-clock-test/1.0")
        check(status == 200, (status, body))
        seen.append(body["status"])
        check(("startTime" in body) == (body["status"] != "QUEUED"), body)
        check(("finishTime" in body) == (body["status"] == "COMPLETED"), body)
    check(seen == ["QUEUED", "QUEUED", "RUNNING", "RUNNING", "COMPLETED"], seen)

    # The journal saw our User-Agent and the digest details.
    status, journal = mock.admin("GET", "/__mock/journal")
    check(status == 200, status)
    ours = [e for e in journal if dict(e["requestHeaders"]).get("user-agent") == "mock-clock-test/1.0"]
    authorized = [e for e in ours if e["status"] == 200]
    check(len(authorized) == 5, len(authorized))
    check(all(e["auth"]["scheme"] == "Digest" and e["auth"]["algorithm"] == "MD5" for e in authorized), authorized[0])
    check(all(e["key"] == mock.info["publicKey"] for e in authorized), authorized[0])
    # urllib answers every request from a fresh challenge: nc is 1 each time.
    check(all(e["auth"]["nc"] == 1 for e in authorized), [e["auth"] for e in authorized])
    status, clock = mock.admin("GET", "/__mock/clock")
    check(clock["elapsedMs"] == 600_000, clock)
finally:
    code, last, err = mock.stop()
check(code == 0, (code, err))
check(last["event"] == "stopped" and last["signal"] == "SIGTERM", last)
check(not os.path.exists(ready), "ready file removed on a clean stop")
print(json.dumps({"ok": True, "seen": seen}))
