#!/usr/bin/env python3
"""Independent HTTP Digest test vectors for atlas-digest (issue 11).

Written from RFC 7616 (sections 3.4.1 to 3.4.4, 3.5), RFC 2617 section 3.2.3 and RFC 8187, using only
Python's standard library (hashlib for every hash; no code of the crate). It writes
digest-vectors.txt next to itself: one case per block of `key=value` lines, for every
algorithm x qop (auth, auth-int, none) x userhash x charset, for an ASCII and a non-ASCII user,
with the full `Authorization` value, `response`, `rspauth` and the `Authentication-Info` value.
tests/independent_vectors.rs reads the file and checks the crate against it byte for byte.

Run: python3 crates/atlas-digest/tests/vectors/generate.py   (the output is deterministic)

Inputs that come from the crate's server: NONCE and OPAQUE are what atlas-digest's DigestServer
issues for realm REALM, secret 0x5a * 32, at 1_700_000_000 s (the Rust test checks that they still
are), so that the server side can verify these vectors too. They are inputs here, not results.
"""

import hashlib
import os

REALM = "vectors@atlas-digest"
NONCE = "AYvP5WgAAAAAAGRFcsJ0PwEtwE/GudbyFAsdi/Zkw/ltOy3Y"
OPAQUE = "4HYcOT0HARDwkPpu"

ALGORITHMS = {
    "MD5": "md5",
    "MD5-sess": "md5",
    "SHA-256": "sha256",
    "SHA-256-sess": "sha256",
    "SHA-512-256": "sha512_256",
    "SHA-512-256-sess": "sha512_256",
}

USERS = [
    ("Mufasa", "Circle of Life"),
    ("J\u00e4s\u00f8n Doe", "Secret, or not?"),
]

REQUEST_BODY = b'{"name":"Cluster0","retentionInDays":8}'
RESPONSE_BODY = b'{"id":"5cc310ace5dc7ce369814bc8","status":"COMPLETED"}'


def H(algorithm, data):
    """The algorithm's hash of `data` (str as UTF-8, or bytes), as lowercase hex."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.new(ALGORITHMS[algorithm], data).hexdigest()


def quoted(value):
    """An RFC 9110 quoted-string: backslash before `"` and `\\`."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


ATTR_CHAR = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~")


def ext_value(value):
    """RFC 8187 ext-value: UTF-8''percent-encoded (uppercase hex), attr-chars as they are."""
    out = "UTF-8''"
    for b in value.encode("utf-8"):
        out += chr(b) if b in ATTR_CHAR else "%%%02X" % b
    return out


def response_digest(algorithm, ha1, nonce, nc, cnonce, qop, method, uri, body):
    """RFC 7616 section 3.4.1 (and RFC 2069 / RFC 2617 without qop)."""
    if qop == "auth-int":
        ha2 = H(algorithm, "%s:%s:%s" % (method, uri, H(algorithm, body)))
    else:
        ha2 = H(algorithm, "%s:%s" % (method, uri))
    if qop is None:
        return H(algorithm, "%s:%s:%s" % (ha1, nonce, ha2))
    return H(algorithm, "%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2))


def ha1(algorithm, username, realm, password, nonce, cnonce):
    """RFC 7616 section 3.4.2: A1 with the unhashed username; -sess keys it by nonce and cnonce."""
    base = H(algorithm, "%s:%s:%s" % (username, realm, password))
    if algorithm.endswith("-sess"):
        return H(algorithm, "%s:%s:%s" % (base, nonce, cnonce))
    return base


def self_check():
    """The functions above reproduce the RFC examples (with their errata) before anything is written."""
    # RFC 2617 section 3.5.
    r = response_digest("MD5", ha1("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life", "", ""),
                        "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth",
                        "GET", "/dir/index.html", b"")
    assert r == "6629fae49393a05397450978507c4ef1", r
    # RFC 7616 section 3.9.1 (errata 4495: "Circle of Life").
    for alg, want in [("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
                      ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")]:
        r = response_digest(alg, ha1(alg, "Mufasa", "http-auth@example.org", "Circle of Life", "", ""),
                            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
                            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", "GET",
                            "/dir/index.html", b"")
        assert r == want, (alg, r)
    # RFC 7616 section 3.9.2 (errata 4897: true SHA-512/256).
    user = "J\u00e4s\u00f8n Doe"
    assert H("SHA-512-256", user + ":api@example.org") == \
        "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
    r = response_digest("SHA-512-256", ha1("SHA-512-256", user, "api@example.org", "Secret, or not?", "", ""),
                        "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", "00000001",
                        "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", "auth", "GET", "/doe.json", b"")
    assert r == "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5", r
    assert ext_value(user) == "UTF-8''J%C3%A4s%C3%B8n%20Doe"


def cases():
    n = 0
    for algorithm in ALGORITHMS:
        for qop in ["auth", "auth-int", None]:
            if qop is None and algorithm.endswith("-sess"):
                continue  # RFC 2069 form has no cnonce, so no -sess
            for userhash in [False, True]:
                for charset in [False, True]:
                    for username, password in USERS:
                        n += 1
                        yield n, algorithm, qop, userhash, charset, username, password


def nc_for(n):
    # nc 00000001 for most cases (the client's own flow starts there), others spread the digits.
    return ["00000001", "00000001", "0000002a", "ffffffff"][n % 4]


def main():
    self_check()
    lines = [
        "# HTTP Digest vectors generated by generate.py (Python hashlib, written from RFC 7616 /",
        "# RFC 2617 / RFC 8187, independent of atlas-digest). Do not edit: rerun the script.",
        "# One case per block; body and response_body are hex.",
        "realm=" + REALM,
        "nonce=" + NONCE,
        "opaque=" + OPAQUE,
        "",
    ]
    for n, algorithm, qop, userhash, charset, username, password in cases():
        method = "POST" if qop == "auth-int" else "GET"
        uri = "/api/atlas/v2/groups/5b69d0349b15c62cdfc38b78/flexClusters/Flex%%20A/backup/snapshots?pageNum=%d" % n
        body = REQUEST_BODY if qop == "auth-int" else b""
        cnonce = H("SHA-256", "cnonce-%d" % n)[:24]
        nc = nc_for(n)
        key = ha1(algorithm, username, REALM, password, NONCE, cnonce)
        response = response_digest(algorithm, key, NONCE, nc, cnonce, qop, method, uri, body)
        # rspauth (RFC 7616 section 3.5): the same computation with an empty method, and for
        # auth-int the response body.
        rspauth = response_digest(algorithm, key, NONCE, nc, cnonce, qop, "", uri, RESPONSE_BODY)

        challenge = "Digest realm=%s, nonce=%s, algorithm=%s" % (quoted(REALM), quoted(NONCE), algorithm)
        if qop is not None:
            challenge += ", qop=%s" % quoted(qop)
        challenge += ", opaque=%s" % quoted(OPAQUE)
        if charset:
            challenge += ", charset=UTF-8"
        if userhash:
            challenge += ", userhash=true"

        non_ascii = any(ord(c) > 0x7E or ord(c) < 0x20 for c in username)
        if userhash:
            user_param = "username=" + quoted(H(algorithm, "%s:%s" % (username, REALM)))
        elif non_ascii and charset:
            user_param = "username*=" + ext_value(username)
        else:
            user_param = "username=" + quoted(username)
        auth = "Digest %s, realm=%s, uri=%s, algorithm=%s, nonce=%s" % (
            user_param, quoted(REALM), quoted(uri), algorithm, quoted(NONCE))
        if qop is not None:
            auth += ", nc=%s, cnonce=%s, qop=%s" % (nc, quoted(cnonce), qop)
        if userhash:
            auth += ", userhash=true"
        auth += ", opaque=%s, response=%s" % (quoted(OPAQUE), quoted(response))

        if qop is None:
            info = "rspauth=%s" % quoted(rspauth)
        else:
            info = "qop=%s, rspauth=%s, cnonce=%s, nc=%s" % (qop, quoted(rspauth), quoted(cnonce), nc)

        lines += [
            "case=%d" % n,
            "algorithm=" + algorithm,
            "qop=" + (qop or "none"),
            "userhash=" + ("true" if userhash else "false"),
            "charset=" + ("true" if charset else "false"),
            "username=" + username,
            "password=" + password,
            "method=" + method,
            "uri=" + uri,
            "body=" + body.hex(),
            "response_body=" + RESPONSE_BODY.hex(),
            "cnonce=" + cnonce,
            "nc=" + nc,
            "challenge=" + challenge,
            "authorization=" + auth,
            "response=" + response,
            "rspauth=" + rspauth,
            "authentication_info=" + info,
            "",
        ]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digest-vectors.txt")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines))
    print("wrote %s" % out)


if __name__ == "__main__":
    main()
