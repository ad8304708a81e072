//! The object-store side of downloads: what a pre-signed `snapshotUrl` answers.
//!
//! Checks, in order (answers shaped like Amazon S3's: XML bodies, `x-amz-request-id`):
//!
//! 1. Method: `GET` or `HEAD`, else `405 MethodNotAllowed`.
//! 2. Arrival faults of the route `snapshotArchive` (latency, clock advance).
//! 3. An unknown link: `403 AccessDenied`. A request with an `Authorization` header:
//!    `400 InvalidArgument` ("Only one auth mechanism allowed"): a client must never send Atlas
//!    credentials to the link. A changed file name or signature: `403 SignatureDoesNotMatch`.
//! 4. An expired link (on the mock clock): `403 AccessDenied` "Request has expired", with
//!    `X-Amz-Expires`, `Expires` and `ServerTime`.
//! 5. Other faults: a status (as an S3 error), the HTML 503, a dropped connection, a truncated body
//!    (half of what this answer would send), a cut after N bytes.
//! 6. `Range` (`bytes=A-B`, `bytes=A-`, `bytes=-N`): `206` with `Content-Range`; beyond the end
//!    `416 InvalidRange` with `Content-Range: bytes */SIZE`; several ranges or a malformed header:
//!    the whole archive (`200`), as S3 does. `If-Range` with the `ETag` or the `Last-Modified` date
//!    keeps the range; any other validator gets the whole archive.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Response, StatusCode};

use super::archive::Layout;
use super::crc32::Crc32;
use super::{Link, LinkStats, PREFIX};
use crate::body::{MockBody, Truncated};
use crate::faults::{Fault, Stage};
use crate::journal::JournalEntry;
use crate::route::RouteKind;
use crate::server::Shared;
use crate::server::handler::DropConnection;
use crate::server::query::query_pairs;
use crate::server::reply::{Reply, finish, record};

/// Bytes generated per chunk.
const CHUNK: u64 = 64 * 1024;

/// How a body knows the trailer's CRC.
#[derive(Debug)]
enum CrcSource {
    /// Known before the body starts.
    Known(u32),
    /// Computed from the tar bytes on the way (the body starts at offset 0 and the CRC was unknown).
    Tracking(Crc32),
}

/// A range `[pos, end)` of an archive, generated `CHUNK` bytes at a time; stops at `stop` (a cut)
/// with a broken connection.
pub(crate) struct ArchiveBody {
    layout: Arc<Layout>,
    pos: u64,
    end: u64,
    stop: u64,
    crc: CrcSource,
    store: Arc<tokio::sync::OnceCell<u32>>,
    link: Arc<Link>,
    fail: Option<Pin<Box<tokio::time::Sleep>>>,
    done: bool,
}

impl ArchiveBody {
    pub(crate) fn len(&self) -> u64 {
        self.end - self.pos
    }

    pub(crate) fn is_end(&self) -> bool {
        self.done
    }

    pub(crate) fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Truncated>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.pos >= self.stop {
            if self.stop >= self.end {
                self.finish();
                return Poll::Ready(None);
            }
            // Cut: let the bytes sent so far leave, then break the connection.
            let sleep = self
                .fail
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(50))));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.done = true;
            LinkStats::add(&self.link.stats.cut, 1);
            return Poll::Ready(Some(Err(Truncated)));
        }
        let n = CHUNK.min(self.stop - self.pos);
        let mut buf = vec![0u8; usize::try_from(n).unwrap_or(0)];
        match &mut self.crc {
            CrcSource::Known(c) => {
                let c = *c;
                self.layout.fill(self.pos, &mut buf, &mut |_| {}, &mut || c);
            }
            CrcSource::Tracking(state) => {
                let cell = std::cell::Cell::new(*state);
                let mut seen = |b: &[u8]| {
                    let mut c = cell.get();
                    c.update(b);
                    cell.set(c);
                };
                self.layout
                    .fill(self.pos, &mut buf, &mut seen, &mut || cell.get().finish());
                *state = cell.get();
            }
        }
        self.pos += n;
        LinkStats::add(&self.link.stats.bytes_sent, n);
        if self.pos >= self.end {
            // hyper stops polling once Content-Length bytes are out: the end is the last chunk.
            self.finish();
        }
        Poll::Ready(Some(Ok(Bytes::from(buf))))
    }

    /// The whole range was produced: count it, and keep a CRC computed on the way.
    fn finish(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        LinkStats::add(&self.link.stats.completed, 1);
        if let CrcSource::Tracking(c) = self.crc {
            if self.end > self.layout.trailer_start() {
                let _ = self.store.set(c.finish());
            }
        }
    }
}

/// What a `Range` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeAsk {
    /// No usable range: the whole archive.
    Whole,
    /// `[start, end)`.
    Part(u64, u64),
    /// Outside the archive.
    Unsatisfiable,
}

/// Reads a `Range` header for an archive of `size` bytes (RFC 9110 section 14.2, one range).
pub(crate) fn parse_range(value: &str, size: u64) -> RangeAsk {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (a.is_empty(), num(a), num(b)) {
        // bytes=-N: the last N bytes.
        (true, _, Some(n)) => {
            if n == 0 {
                RangeAsk::Unsatisfiable
            } else {
                RangeAsk::Part(size.saturating_sub(n), size)
            }
        }
        (false, Some(start), None) if b.is_empty() => {
            if start >= size {
                RangeAsk::Unsatisfiable
            } else {
                RangeAsk::Part(start, size)
            }
        }
        (false, Some(start), Some(last)) if last >= start => {
            if start >= size {
                RangeAsk::Unsatisfiable
            } else {
                RangeAsk::Part(start, last.saturating_add(1).min(size))
            }
        }
        _ => RangeAsk::Whole,
    }
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn request_id() -> String {
    crate::random_bytes::<8>()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An S3-style error: `<Error><Code>..</Code><Message>..</Message>...</Error>`.
fn s3_error(status: u16, code: &str, message: &str, extra: &[(&str, String)]) -> Reply {
    let id = request_id();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message>",
        xml_escape(message)
    );
    for (k, v) in extra {
        xml.push_str(&format!("<{k}>{}</{k}>", xml_escape(v)));
    }
    xml.push_str(&format!(
        "<RequestId>{id}</RequestId><HostId>atlas-mock</HostId></Error>"
    ));
    let mut r = Reply::raw(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        "application/xml",
        Bytes::from(xml),
    );
    r.error_code = Some(code.to_owned());
    r.error_header = false;
    r.header(HeaderName::from_static("x-amz-request-id"), &id)
        .header(header::SERVER, "AmazonS3")
}

fn injected(status: u16) -> Reply {
    let (code, msg) = match status {
        500 => (
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
        503 => ("SlowDown", "Please reduce your request rate."),
        403 => ("AccessDenied", "Access Denied"),
        404 => ("NoSuchKey", "The specified key does not exist."),
        _ => ("InjectedFault", "Injected fault."),
    };
    s3_error(status, code, msg, &[])
}

/// Answers a request under [`PREFIX`].
pub(crate) async fn respond(
    shared: &Shared,
    _peer: SocketAddr,
    parts: &http::request::Parts,
    mut entry: JournalEntry,
) -> Result<Response<MockBody>, DropConnection> {
    let path = parts.uri.path();
    let reply = |r: Reply, entry: JournalEntry| finish(shared, r, Default::default(), entry);
    if parts.method != Method::GET && parts.method != Method::HEAD {
        let r = s3_error(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            &[
                ("Method", parts.method.to_string()),
                ("ResourceType", "OBJECT".into()),
            ],
        )
        .header(header::ALLOW, "GET, HEAD");
        return Ok(reply(r, entry));
    }
    let faults = shared.faults();
    let arrival = faults.decide(RouteKind::SnapshotArchive, path, Stage::Arrival);
    append_fault(&mut entry, arrival.labels);
    if !arrival.clock_advance.is_zero() {
        shared.clock.advance(arrival.clock_advance);
    }
    if !arrival.latency.is_zero() {
        tokio::time::sleep(arrival.latency).await;
    }
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    let (token, file) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(link) = shared.downloads.get(token) else {
        return Ok(reply(
            s3_error(403, "AccessDenied", "Access Denied", &[]),
            entry,
        ));
    };
    LinkStats::add(&link.stats.requests, 1);
    if parts.headers.contains_key(header::AUTHORIZATION) {
        let r = s3_error(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
            &[
                ("ArgumentName", "Authorization".into()),
                ("ArgumentValue", "(not shown)".into()),
            ],
        );
        return Ok(reply(r, entry));
    }
    let pairs = query_pairs(parts.uri.query());
    let sig = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "X-Amz-Signature")
        .map(|(_, v)| v.as_str());
    if file != link.file_name() || !sig.is_some_and(|s| same(s, &link.signature)) {
        let r = s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            &[],
        );
        return Ok(reply(r, entry));
    }
    let now = shared.clock.now();
    if now >= link.expires {
        let secs = (link.expires - link.created).num_seconds().max(0);
        let r = s3_error(
            403,
            "AccessDenied",
            "Request has expired",
            &[
                ("X-Amz-Expires", secs.to_string()),
                (
                    "Expires",
                    link.expires.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                ),
                ("ServerTime", now.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            ],
        );
        return Ok(reply(r, entry));
    }
    let decision = faults.decide(RouteKind::SnapshotArchive, path, Stage::Authenticated);
    append_fault(&mut entry, decision.labels);
    let cut = match decision.fault {
        None | Some(Fault::Latency(_) | Fault::ClockAdvance(_)) => None,
        Some(Fault::DropConnection) => {
            entry.status = 0;
            entry.error = Some("connection dropped".to_owned());
            shared.journal.push(entry);
            return Err(DropConnection);
        }
        Some(Fault::ServiceUnavailableHtml) => return Ok(reply(crate::api::html_503(), entry)),
        Some(Fault::Status(s)) => return Ok(reply(injected(s), entry)),
        Some(Fault::TruncateBody) => Some(Cut::Half),
        Some(Fault::CutAfter(n)) => Some(Cut::After(n)),
    };
    Ok(serve_archive(shared, parts, &link, cut, entry).await)
}

/// Where a faulty answer stops.
#[derive(Debug, Clone, Copy)]
enum Cut {
    Half,
    After(u64),
}

fn append_fault(entry: &mut JournalEntry, labels: Vec<String>) {
    if labels.is_empty() {
        return;
    }
    let mut all: Vec<String> = entry.fault.take().into_iter().collect();
    all.extend(labels);
    entry.fault = Some(all.join(","));
}

/// Constant-time comparison.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn if_range_holds(parts: &http::request::Parts, layout: &Layout, last_modified: &str) -> bool {
    match parts
        .headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(v) => {
            let v = v.trim();
            if v.starts_with('"') {
                v == layout.etag()
            } else {
                v == last_modified
            }
        }
    }
}

async fn serve_archive(
    shared: &Shared,
    parts: &http::request::Parts,
    link: &Arc<Link>,
    cut: Option<Cut>,
    entry: JournalEntry,
) -> Response<MockBody> {
    let layout = link.layout.clone();
    let size = layout.size();
    let last_modified = http_date(DateTime::from_timestamp(layout.mtime(), 0).unwrap_or_default());
    let ask = match parts
        .headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
    {
        Some(v) if if_range_holds(parts, &layout, &last_modified) => parse_range(v, size),
        _ => RangeAsk::Whole,
    };
    let (status, start, end) = match ask {
        RangeAsk::Whole => (StatusCode::OK, 0, size),
        RangeAsk::Part(s, e) => (StatusCode::PARTIAL_CONTENT, s, e),
        RangeAsk::Unsatisfiable => {
            let asked = parts
                .headers
                .get(header::RANGE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default();
            let r = s3_error(
                416,
                "InvalidRange",
                "The requested range is not satisfiable",
                &[
                    ("RangeRequested", crate::journal::cut(&asked, 128)),
                    ("ActualObjectSize", size.to_string()),
                ],
            )
            .header(header::CONTENT_RANGE, &format!("bytes */{size}"));
            return finish(shared, r, Default::default(), entry);
        }
    };
    let (known, store) = shared.downloads.crc_slot(&layout);
    let crc = match known {
        Some(c) => CrcSource::Known(c),
        None if start == 0 || end <= layout.trailer_start() => {
            CrcSource::Tracking(Crc32::default())
        }
        // A resumed transfer that reaches the trailer: the CRC is computed first (a second per GiB).
        None => CrcSource::Known(shared.downloads.crc(&layout).await),
    };
    let len = end - start;
    let stop = match cut {
        None => end,
        Some(Cut::Half) => start + len / 2,
        Some(Cut::After(n)) => start + n.min(len),
    };
    let head = parts.method == Method::HEAD;
    let body = if head {
        MockBody::full(Bytes::new())
    } else {
        MockBody::archive(ArchiveBody {
            layout: layout.clone(),
            pos: start,
            end,
            stop,
            crc,
            store,
            link: link.clone(),
            fail: None,
            done: false,
        })
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    let mut put = |name: HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    put(header::CONTENT_TYPE, "application/gzip");
    put(header::CONTENT_LENGTH, &len.to_string());
    put(header::ACCEPT_RANGES, "bytes");
    put(header::ETAG, &layout.etag());
    put(header::LAST_MODIFIED, &last_modified);
    put(header::SERVER, "AmazonS3");
    put(HeaderName::from_static("x-amz-request-id"), &request_id());
    if status == StatusCode::PARTIAL_CONTENT {
        put(
            header::CONTENT_RANGE,
            &format!("bytes {start}-{}/{size}", end - 1),
        );
    }
    if shared.scheme == "https" {
        put(header::STRICT_TRANSPORT_SECURITY, "max-age=300");
    }
    let mut entry = entry;
    if stop < end && !head {
        entry.error = Some(format!("cut after {} bytes", stop - start));
    }
    record(shared, &resp, status, entry);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        let size = 1000;
        for (v, want) in [
            ("bytes=0-99", RangeAsk::Part(0, 100)),
            ("bytes=100-", RangeAsk::Part(100, 1000)),
            ("bytes=-10", RangeAsk::Part(990, 1000)),
            ("bytes=-5000", RangeAsk::Part(0, 1000)),
            ("bytes=990-5000", RangeAsk::Part(990, 1000)),
            ("bytes= 5 - 9 ", RangeAsk::Part(5, 10)),
            ("bytes=999-999", RangeAsk::Part(999, 1000)),
            ("bytes=1000-", RangeAsk::Unsatisfiable),
            ("bytes=1000-1001", RangeAsk::Unsatisfiable),
            ("bytes=-0", RangeAsk::Unsatisfiable),
            ("bytes=9-5", RangeAsk::Whole),
            ("bytes=0-1,5-6", RangeAsk::Whole),
            ("bytes=abc", RangeAsk::Whole),
            ("bytes=+1-2", RangeAsk::Whole),
            ("items=0-1", RangeAsk::Whole),
            ("bytes=-", RangeAsk::Whole),
            ("bytes=18446744073709551616-", RangeAsk::Whole),
        ] {
            assert_eq!(parse_range(v, size), want, "{v}");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever a client sends, the answer is the whole, an in-bounds non-empty part, or
            /// unsatisfiable; never a panic.
            #[test]
            fn ranges_are_in_bounds(value in ".{0,40}", size in 1u64..u64::MAX / 2) {
                match parse_range(&value, size) {
                    RangeAsk::Part(s, e) => prop_assert!(s < e && e <= size, "{s} {e} {size}"),
                    RangeAsk::Whole | RangeAsk::Unsatisfiable => {}
                }
            }

            #[test]
            fn numeric_ranges_are_read_exactly(a in 0u64..5000, b in 0u64..5000, size in 1u64..4000) {
                let got = parse_range(&format!("bytes={a}-{b}"), size);
                let want = if b < a {
                    RangeAsk::Whole
                } else if a >= size {
                    RangeAsk::Unsatisfiable
                } else {
                    RangeAsk::Part(a, (b + 1).min(size))
                };
                prop_assert_eq!(got, want);
            }
        }
    }
}
