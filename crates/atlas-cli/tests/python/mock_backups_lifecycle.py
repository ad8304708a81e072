"""Restore jobs, downloads, on-demand snapshots and service accounts through `atlas-snapshots mock`,
from Python's standard library, moving the mock clock instead of sleeping:

- a restore job goes PENDING -> RUNNING -> COMPLETED, restoreFinishedDate only at the end, and
  the list comes newest first;
- a download job's pre-signed link serves ranges of the archive (whose SHA-256 the admin API
  reports) and answers 403 with an XML body once 4 hours have passed;
- an on-demand snapshot of the dedicated seed cluster goes queued -> inProgress -> completed and
  is deleted (204);
- a service account's token (client credentials) works on the API and expires on the clock."""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from mockctl import Mock, check  # noqa: E402

mock = Mock("--clock", "manual", "--archive-size", "300KiB")
try:
    info = mock.info
    g, f = info["flex"]["groupId"], info["flex"]["clusterName"]
    snap = info["flex"]["snapshotId"]
    base = f"/api/atlas/v2/groups/{g}/flexClusters/{f}/backup"

    # A restore job through its lifecycle.
    status, _, job = mock.post(base + "/restoreJobs", {"snapshotId": snap, "targetDeploymentItemName": f})
    check(status == 200, (status, job))
    seen = [job["status"]]
    check("restoreFinishedDate" not in job, job)
    for _ in range(7):
        mock.admin("POST", "/__mock/clock/advance", {"seconds": 10})
        status, _, job = mock.get(base + "/restoreJobs/" + job["id"])
        check(status == 200, (status, job))
        check(("restoreFinishedDate" in job) == (job["status"] == "COMPLETED"), job)
        if seen[-1] != job["status"]:
            seen.append(job["status"])
    check(seen == ["PENDING", "RUNNING", "COMPLETED"], seen)
    status, _, page = mock.get(base + "/restoreJobs?itemsPerPage=1")
    check(page["results"][0]["id"] == job["id"], page)
    check(any(l["rel"] == "next" for l in page["links"]), page["links"])

    # A download: ranges of the archive, its SHA-256, and the expired link.
    status, _, dl = mock.post(base + "/download", {"snapshotId": snap})
    check(status == 200 and dl["deliveryType"] == "DOWNLOAD", (status, dl))
    url = dl["snapshotUrl"]
    s1, h1, a = mock.raw(url, {"Range": "bytes=0-99999"})
    s2, h2, b = mock.raw(url, {"Range": "bytes=100000-"})
    check((s1, s2) == (206, 206), (s1, s2))
    check(h2["Content-Range"] == "bytes 100000-307199/307200", h2)
    status, link = mock.admin("GET", "/__mock/downloads/" + dl["id"])
    check(status == 200, (status, link))
    check(hashlib.sha256(a + b).hexdigest() == link["sha256"], link)
    mock.admin("POST", "/__mock/clock/advance", {"seconds": 4 * 3600})
    status, headers, body = mock.raw(url)
    check(status == 403 and headers["Content-Type"] == "application/xml", (status, headers))
    check(b"Request has expired" in body, body)

    # An on-demand snapshot of the dedicated cluster, then delete it.
    d = info["dedicated"]
    cloud = f"/api/atlas/v2/groups/{d['groupId']}/clusters/{d['clusterName']}/backup/snapshots"
    status, _, s = mock.post(cloud, {"description": "from python", "retentionInDays": 2}, version="2023-01-01")
    check(status == 200 and s["status"] == "queued", (status, s))
    cloud_seen = [s["status"]]
    for _ in range(7):
        mock.admin("POST", "/__mock/clock/advance", {"seconds": 10})
        status, _, s = mock.get(cloud + "/" + s["id"], accept="application/vnd.atlas.2023-01-01+json")
        if cloud_seen[-1] != s["status"]:
            cloud_seen.append(s["status"])
    check(cloud_seen == ["queued", "inProgress", "completed"], cloud_seen)
    status, headers, body = mock.post(cloud + "/" + s["id"], None, version="2023-01-01", method="DELETE")
    check(status == 204 and body is None and "Content-Length" not in headers, (status, headers))

    # A service account: token, use, expiry on the mock clock.
    status, tok = mock.token()
    check(status == 200 and tok["token_type"] == "Bearer", (status, tok))
    status, _, body = mock.bearer(base + "/snapshots/" + snap, tok["access_token"])
    check(status == 200 and body["id"] == snap, (status, body))
    mock.admin("POST", "/__mock/clock/advance", {"seconds": tok["expires_in"]})
    status, headers, _ = mock.bearer(base + "/snapshots/" + snap, tok["access_token"])
    challenges = " ".join(headers.get_all("WWW-Authenticate") or [])
    check(status == 401 and "invalid_token" in challenges, (status, challenges))
    status, bad = mock.token(secret="wrong")
    check(status == 401 and bad["error"] == "invalid_client", (status, bad))
finally:
    code, last, err = mock.stop()
check(code == 0, (code, err))
print(json.dumps({"ok": True, "restore": seen, "onDemand": cloud_seen}))
