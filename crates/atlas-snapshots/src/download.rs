//! Downloads: [`CreateDownloadJob`] asks Atlas for a pre-signed link, [`ArchiveDownload`]
//! streams the archive behind it to a writer or a file, resuming cut transfers.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use atlas_model::{CreateDownload, RestoreJob, SnapshotId, SnapshotUrl};
use atlas_transport::BodyStream;
use bytes::Bytes;
use http::{HeaderMap, StatusCode, Uri};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::backoff::Jitter;
use crate::endpoint::Target;
use crate::error::excerpt;
use crate::file_writer::{FileWriter, FileWrites};
use crate::{ApiResponse, AtlasClient, Error};

/// The default number of failed attempts in a row [`ArchiveDownload`] makes before it gives up.
pub const DEFAULT_DOWNLOAD_RETRIES: u32 = 5;

/// How many redirects a download follows (the link needs no credentials, so following is safe).
const MAX_REDIRECTS: u32 = 5;

/// The first pause before a resume; it doubles with each failure in a row, jittered, up to
/// [`MAX_RESUME_DELAY`].
const FIRST_RESUME_DELAY: Duration = Duration::from_millis(500);
const MAX_RESUME_DELAY: Duration = Duration::from_secs(30);

/// A request for a download link: `POST .../flexClusters/{name}/backup/download`, from
/// [`FlexSnapshots::download`](crate::FlexSnapshots::download).
#[must_use = "a request does nothing until it is sent"]
#[derive(Debug, Clone)]
pub struct CreateDownloadJob<'a> {
    client: &'a AtlasClient,
    target: Target,
    snapshot_id: SnapshotId,
}

impl<'a> CreateDownloadJob<'a> {
    pub(crate) fn new(client: &'a AtlasClient, target: Target, snapshot_id: SnapshotId) -> Self {
        CreateDownloadJob {
            client,
            target,
            snapshot_id,
        }
    }

    /// Sends the request; the answer is a job with `deliveryType: DOWNLOAD` and the
    /// `snapshotUrl` to give to [`AtlasClient::download_archive`].
    ///
    /// # Errors
    ///
    /// See [`Error`]; a key without the Project Backup Export Operator role is
    /// [`Error::Forbidden`].
    pub async fn send(self) -> Result<RestoreJob, Error> {
        self.send_full().await.map(ApiResponse::into_value)
    }

    /// Like [`send`](Self::send), with the HTTP details and the body as received.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_full(self) -> Result<ApiResponse<RestoreJob>, Error> {
        let body = serde_json::to_vec(&CreateDownload {
            snapshot_id: self.snapshot_id,
        })
        .map_err(|e| {
            Error::Transport(atlas_transport::Error::Other {
                url: None,
                message: format!("cannot encode the request body: {e}"),
            })
        })?;
        crate::restores::post_json(self.client, &self.target, Bytes::from(body)).await
    }
}

/// What went wrong in a download, in [`Error::Download`].
#[derive(Debug)]
#[non_exhaustive]
pub enum DownloadProblem {
    /// The job had no `snapshotUrl` (not a download job, or not ready).
    NoLink,
    /// The object store answered a status that is not the archive (`404`, a `5xx` that lasted).
    Status {
        /// The status.
        status: StatusCode,
        /// The start of the body.
        excerpt: String,
    },
    /// The transfer broke and did not come back after the retries.
    Interrupted {
        /// Bytes written.
        received: u64,
        /// Bytes expected, when the server said.
        total: Option<u64>,
        /// Failed attempts in a row.
        attempts: u32,
        /// The last failure.
        last: Box<Error>,
    },
    /// More bytes came than `Content-Length` announced.
    TooLong {
        /// Bytes announced.
        expected: u64,
        /// Bytes that came (at least).
        received: u64,
    },
    /// A resumed answer did not start where asked (`Content-Range`), or announced another size.
    BadRange {
        /// Where the resume asked to start.
        asked_from: u64,
        /// The `Content-Range` received (`None`: missing or unreadable).
        content_range: Option<String>,
    },
    /// The archive changed between two attempts (another `ETag`) and the writer cannot start
    /// over.
    Changed,
    /// Too many redirects, or one without a usable `Location`.
    Redirects,
    /// Writing the archive failed.
    Write {
        /// The file, for a file download.
        path: Option<PathBuf>,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file exists and [`Overwrite::Refuse`] was asked for.
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// The link could not be fetched at all (bad URL, TLS, plain http off loopback ...).
    Transport(atlas_transport::Error),
}

impl fmt::Display for DownloadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadProblem::NoLink => f.write_str("the download job has no snapshotUrl"),
            DownloadProblem::Status { status, excerpt } => {
                write!(f, "the object store answered {status}: {excerpt:?}")
            }
            DownloadProblem::Interrupted {
                received,
                total,
                attempts,
                last,
            } => {
                write!(f, "the transfer broke after {received}")?;
                if let Some(t) = total {
                    write!(f, " of {t}")?;
                }
                write!(
                    f,
                    " bytes and {attempts} attempts in a row failed; the last: {last}"
                )
            }
            DownloadProblem::TooLong { expected, received } => write!(
                f,
                "more bytes came ({received}) than Content-Length announced ({expected})"
            ),
            DownloadProblem::BadRange {
                asked_from,
                content_range,
            } => write!(
                f,
                "a resume from byte {asked_from} got Content-Range {}",
                content_range.as_deref().unwrap_or("(none)")
            ),
            DownloadProblem::Changed => {
                f.write_str("the archive changed between two attempts (another ETag)")
            }
            DownloadProblem::Redirects => f.write_str("too many redirects, or a bad Location"),
            DownloadProblem::Write { path, source } => match path {
                Some(p) => write!(f, "cannot write {}: {source}", p.display()),
                None => write!(f, "cannot write the archive: {source}"),
            },
            DownloadProblem::Exists { path } => write!(f, "{} already exists", path.display()),
            DownloadProblem::Transport(e) => write!(f, "{e}"),
        }
    }
}

impl DownloadProblem {
    pub(crate) fn hint(&self) -> &'static str {
        match self {
            DownloadProblem::NoLink => {
                "ask for a download job with FlexSnapshots::download(): its answer carries the link"
            }
            DownloadProblem::Status { status, .. } if status.is_server_error() => {
                "the object store had a problem: try again later"
            }
            DownloadProblem::Status { .. } => {
                "ask for a new link with FlexSnapshots::download() and download again"
            }
            DownloadProblem::Interrupted { .. } => {
                "the network kept breaking: check it and download again (a new link if 4 hours have passed)"
            }
            DownloadProblem::TooLong { .. } | DownloadProblem::BadRange { .. } => {
                "the server's answer is inconsistent: download again from the start"
            }
            DownloadProblem::Changed => "download again from the start",
            DownloadProblem::Redirects => "check the link: it redirects in circles",
            DownloadProblem::Write { .. } => {
                "check the destination: free space, permissions, and that its directory exists"
            }
            DownloadProblem::Exists { .. } => {
                "choose another file, remove it, or ask to overwrite (Overwrite::Replace)"
            }
            DownloadProblem::Transport(_) => "check the network and any proxy",
        }
    }
}

/// Where a file download may write when the file is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Overwrite {
    /// Fail with [`DownloadProblem::Exists`] (checked before anything is fetched, and again,
    /// atomically where the file system allows, when the finished file is put in place).
    Refuse,
    /// Replace the file once the new one is complete.
    Replace,
}

/// Progress of a download, passed to [`ArchiveDownload::on_progress`] after each chunk written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadProgress {
    /// Bytes written so far.
    pub received: u64,
    /// The archive's size, when the server announced it.
    pub total: Option<u64>,
    /// How many times the transfer was resumed (or restarted) so far.
    pub resumes: u32,
}

/// What a finished download did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadSummary {
    /// Bytes written.
    pub bytes: u64,
    /// How many times the transfer was resumed or restarted.
    pub resumes: u32,
    /// The file written, for [`ArchiveDownload::to_file`].
    pub path: Option<PathBuf>,
}

type ProgressCallback<'a> = Box<dyn FnMut(&DownloadProgress) + Send + 'a>;

/// Streams an archive from a pre-signed link, from [`AtlasClient::download_archive`].
///
/// - Nothing is buffered beyond a few chunks (a file is written on a thread of its own from the
///   body's chunks, at most 8 queued, never copied): the archive's size does not change the memory
///   used.
/// - The link gets no Atlas credentials: it is fetched through the client's
///   [`StreamExecutor`](atlas_transport::StreamExecutor), which holds none.
/// - The status is checked: a refused link (`403` with an object store's XML body, as an
///   expired one answers) is [`Error::LinkExpired`]; redirects are followed (at most 5).
/// - `Content-Length` is checked: fewer bytes means the transfer broke, more is an error.
/// - A broken transfer is resumed with `Range: bytes=N-` (and `If-Range` with the `ETag`), the
///   answer's `Content-Range` checked; after [`max_retries`](Self::max_retries) failed attempts
///   in a row (default [`DEFAULT_DOWNLOAD_RETRIES`]; an attempt that brings bytes resets the
///   count), with a jittered pause that doubles each time, it gives up with
///   [`DownloadProblem::Interrupted`]. A server that ignores `Range` is handled: the bytes
///   already written are skipped.
/// - [`on_progress`](Self::on_progress) hears of every chunk.
///
/// ```no_run
/// # async fn demo(client: atlas_snapshots::AtlasClient) -> Result<(), Box<dyn std::error::Error>> {
/// use atlas_snapshots::Overwrite;
/// let (group, cluster, id) = ("5b69d0349b15c62cdfc38b78".parse()?, "FlexAWS".parse()?, "6740a1f2c3d4e5f6a7b8c901".parse()?);
/// let job = client.flex_snapshots().download(&group, &cluster, &id).send().await?;
/// let url = job.snapshot_url.expect("a download job has a link");
/// let done = client
///     .download_archive(&url)
///     .on_progress(|p| eprintln!("{} of {:?}", p.received, p.total))
///     .to_file("snapshot.tgz", Overwrite::Refuse)
///     .await?;
/// println!("{} bytes, {} resumes", done.bytes, done.resumes);
/// # Ok(()) }
/// ```
#[must_use = "a download does nothing until it is sent to a writer or a file"]
pub struct ArchiveDownload<'a> {
    client: &'a AtlasClient,
    url: SnapshotUrl,
    max_retries: u32,
    on_progress: Option<ProgressCallback<'a>>,
    file_writes: FileWrites,
}

impl fmt::Debug for ArchiveDownload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArchiveDownload")
            .field("url", &self.url)
            .field("max_retries", &self.max_retries)
            .field("on_progress", &self.on_progress.is_some())
            .field("file_writes", &self.file_writes)
            .finish_non_exhaustive()
    }
}

impl AtlasClient {
    /// Streams the archive behind a pre-signed `snapshotUrl` (from
    /// [`FlexSnapshots::download`](crate::FlexSnapshots::download)); see [`ArchiveDownload`].
    pub fn download_archive(&self, url: &SnapshotUrl) -> ArchiveDownload<'_> {
        ArchiveDownload {
            client: self,
            url: url.clone(),
            max_retries: DEFAULT_DOWNLOAD_RETRIES,
            on_progress: None,
            file_writes: FileWrites::default(),
        }
    }
}

/// Where the bytes go.
trait Sink {
    async fn write(&mut self, bytes: Bytes) -> std::io::Result<()>;
    /// Empties what was written, to start over; `false` when that is not possible.
    async fn restart(&mut self) -> std::io::Result<bool>;
}

struct WriterSink<'w, W>(&'w mut W);

impl<W: AsyncWrite + Unpin + Send> Sink for WriterSink<'_, W> {
    async fn write(&mut self, bytes: Bytes) -> std::io::Result<()> {
        self.0.write_all(&bytes).await
    }
    async fn restart(&mut self) -> std::io::Result<bool> {
        Ok(false)
    }
}

/// The `.part` file, written from the body's chunks (no copy), as [`FileWrites`] says.
struct FileSink(FileWriter);

impl Sink for FileSink {
    async fn write(&mut self, bytes: Bytes) -> std::io::Result<()> {
        self.0.write(bytes).await
    }
    async fn restart(&mut self) -> std::io::Result<bool> {
        self.0.truncate().await?;
        Ok(true)
    }
}

impl<'a> ArchiveDownload<'a> {
    /// Failed attempts in a row before giving up (default [`DEFAULT_DOWNLOAD_RETRIES`]); `0`
    /// never resumes.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// How [`to_file`](Self::to_file) writes (default [`FileWrites::WriterThread`]: the runtime's
    /// threads never wait for the disk; [`FileWrites::Inline`] costs less CPU and blocks them).
    pub fn file_writes(mut self, mode: FileWrites) -> Self {
        self.file_writes = mode;
        self
    }

    /// Called after every chunk written, with the bytes so far.
    pub fn on_progress(mut self, f: impl FnMut(&DownloadProgress) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Streams the archive into `writer` (flushed at the end).
    ///
    /// # Errors
    ///
    /// [`Error::LinkExpired`] for a refused link, [`Error::Download`] otherwise. After an error
    /// the writer holds a part of the archive.
    pub async fn to_writer<W: AsyncWrite + Unpin + Send>(
        mut self,
        writer: &mut W,
    ) -> Result<DownloadSummary, Error> {
        let url = self.url.redacted();
        let mut sink = WriterSink(writer);
        let (bytes, resumes) = self.transfer(&mut sink).await?;
        sink.0.flush().await.map_err(|source| Error::Download {
            url,
            problem: DownloadProblem::Write { path: None, source },
        })?;
        Ok(DownloadSummary {
            bytes,
            resumes,
            path: None,
        })
    }

    /// Streams the archive into `path`: it is written to `path.part` (made or emptied), synced,
    /// and renamed to `path` once complete, so `path` is either the whole archive or untouched.
    /// The `.part` file is removed when the download fails.
    ///
    /// # Errors
    ///
    /// [`DownloadProblem::Exists`] when `path` exists and `overwrite` is [`Overwrite::Refuse`]
    /// (nothing is fetched then); as [`to_writer`](Self::to_writer) otherwise.
    pub async fn to_file(
        mut self,
        path: impl AsRef<Path>,
        overwrite: Overwrite,
    ) -> Result<DownloadSummary, Error> {
        let path = path.as_ref().to_owned();
        let fail = |problem| Error::Download {
            url: path.display().to_string(),
            problem,
        };
        let write_err = |source| {
            fail(DownloadProblem::Write {
                path: Some(path.clone()),
                source,
            })
        };
        if overwrite == Overwrite::Refuse && tokio::fs::symlink_metadata(&path).await.is_ok() {
            return Err(fail(DownloadProblem::Exists { path: path.clone() }));
        }
        let part = part_path(&path);
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&part)
            .await
            .map_err(|source| {
                fail(DownloadProblem::Write {
                    path: Some(part.clone()),
                    source,
                })
            })?;
        let mut sink = FileSink(FileWriter::with_mode(
            file.into_std().await,
            self.file_writes,
        ));
        let result = async {
            let (bytes, resumes) = self.transfer(&mut sink).await?;
            sink.0.sync().await.map_err(write_err)?;
            Ok::<_, Error>((bytes, resumes))
        }
        .await;
        drop(sink);
        let (bytes, resumes) = match result {
            Ok(done) => done,
            Err(e) => {
                let _ = tokio::fs::remove_file(&part).await;
                return Err(e);
            }
        };
        if let Err(e) = put_in_place(&part, &path, overwrite).await {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    fail(DownloadProblem::Exists { path: path.clone() })
                }
                _ => write_err(e),
            });
        }
        Ok(DownloadSummary {
            bytes,
            resumes,
            path: Some(path),
        })
    }

    /// The transfer: attempts, resumes and checks; returns the bytes written and the resumes.
    async fn transfer(&mut self, sink: &mut impl Sink) -> Result<(u64, u32), Error> {
        let redacted = self.url.redacted();
        let download_err = |problem| Error::Download {
            url: redacted.clone(),
            problem,
        };
        let mut url: Uri = self
            .url
            .expose()
            .parse()
            .map_err(|e: http::uri::InvalidUri| {
                download_err(DownloadProblem::Transport(
                    atlas_transport::Error::InvalidRequest {
                        url: redacted.clone(),
                        reason: e.to_string(),
                    },
                ))
            })?;
        let mut received: u64 = 0;
        let mut total: Option<u64> = None;
        let mut validator: Option<String> = None;
        let mut failures: u32 = 0;
        let mut resumes: u32 = 0;
        let mut redirects: u32 = 0;
        let mut jitter = Jitter::new();
        loop {
            let mut request = http::Request::get(url.clone());
            if received > 0 {
                request = request.header(http::header::RANGE, format!("bytes={received}-"));
                if let Some(v) = &validator {
                    request = request.header(http::header::IF_RANGE, v.as_str());
                }
            }
            let request = request.body(()).map_err(|e| {
                download_err(DownloadProblem::Transport(
                    atlas_transport::Error::InvalidRequest {
                        url: redacted.clone(),
                        reason: e.to_string(),
                    },
                ))
            })?;
            let failure: Error = match self.client.streams().open(request).await {
                Err(e) if is_transient(&e) => Error::Transport(e),
                Err(e) => return Err(download_err(DownloadProblem::Transport(e))),
                Ok(response) => {
                    let (parts, mut body) = response.into_parts();
                    let status = parts.status;
                    if status.is_redirection() {
                        redirects += 1;
                        let next = parts
                            .headers
                            .get(http::header::LOCATION)
                            .and_then(|l| l.to_str().ok())
                            .and_then(|l| resolve(&url, l));
                        match next {
                            Some(next) if redirects <= MAX_REDIRECTS => {
                                tracing::debug!(status = %status, "download redirected");
                                url = next;
                                continue;
                            }
                            _ => return Err(download_err(DownloadProblem::Redirects)),
                        }
                    }
                    let mut skip: u64 = 0;
                    let refused: Option<Error> = match status.as_u16() {
                        200 => {
                            let new_validator = validator_of(&parts.headers);
                            let length = content_length(&parts.headers);
                            if received > 0 {
                                let same = validator.is_none() || new_validator == validator;
                                if same && length.is_none_or(|l| total.is_none_or(|t| l == t)) {
                                    // The server ignored the range: skip what is written.
                                    skip = received;
                                } else if sink.restart().await.map_err(|source| {
                                    download_err(DownloadProblem::Write { path: None, source })
                                })? {
                                    tracing::debug!("the archive changed; starting over");
                                    received = 0;
                                } else {
                                    return Err(download_err(DownloadProblem::Changed));
                                }
                            }
                            total = length;
                            validator = new_validator;
                            None
                        }
                        206 if received > 0 => {
                            let range = parts
                                .headers
                                .get(http::header::CONTENT_RANGE)
                                .and_then(|v| v.to_str().ok());
                            match range.and_then(parse_content_range) {
                                Some((start, size))
                                    if start == received
                                        && total.zip(size).is_none_or(|(t, s)| t == s) =>
                                {
                                    total = total.or(size);
                                    None
                                }
                                _ => {
                                    return Err(download_err(DownloadProblem::BadRange {
                                        asked_from: received,
                                        content_range: range.map(str::to_owned),
                                    }));
                                }
                            }
                        }
                        416 if received > 0 && total == Some(received) => {
                            return Ok((received, resumes));
                        }
                        400 | 401 | 403 | 410 => {
                            let text = read_excerpt(&mut body).await;
                            return Err(Error::LinkExpired {
                                status,
                                code: xml_field(&text, "Code"),
                                message: xml_field(&text, "Message"),
                                url: redacted,
                            });
                        }
                        429 | 500..=599 => {
                            let text = read_excerpt(&mut body).await;
                            Some(Error::Download {
                                url: redacted.clone(),
                                problem: DownloadProblem::Status {
                                    status,
                                    excerpt: excerpt(text.as_bytes(), 200),
                                },
                            })
                        }
                        _ => {
                            let text = read_excerpt(&mut body).await;
                            return Err(download_err(DownloadProblem::Status {
                                status,
                                excerpt: excerpt(text.as_bytes(), 200),
                            }));
                        }
                    };
                    if let Some(e) = refused {
                        e
                    } else {
                        let before = received;
                        let end = loop {
                            match body.next_chunk().await {
                                None => break None,
                                Some(Err(e)) => break Some(Error::Transport(e)),
                                Some(Ok(chunk)) => {
                                    let mut data = chunk;
                                    if skip > 0 {
                                        let n = usize::try_from(skip)
                                            .unwrap_or(usize::MAX)
                                            .min(data.len());
                                        data = data.slice(n..);
                                        skip -= n as u64;
                                    }
                                    if data.is_empty() {
                                        continue;
                                    }
                                    let len = data.len() as u64;
                                    if let Some(t) = total {
                                        if received + len > t {
                                            return Err(download_err(DownloadProblem::TooLong {
                                                expected: t,
                                                received: received + len,
                                            }));
                                        }
                                    }
                                    sink.write(data).await.map_err(|source| {
                                        download_err(DownloadProblem::Write { path: None, source })
                                    })?;
                                    received += len;
                                    if let Some(f) = self.on_progress.as_mut() {
                                        f(&DownloadProgress {
                                            received,
                                            total,
                                            resumes,
                                        });
                                    }
                                }
                            }
                        };
                        if received > before {
                            failures = 0;
                        }
                        match end {
                            None if total.is_none_or(|t| received == t) => {
                                return Ok((received, resumes));
                            }
                            None => Error::Transport(atlas_transport::Error::Io {
                                url: redacted.clone(),
                                source: format!(
                                    "the body ended after {received} of {} bytes",
                                    total.unwrap_or_default()
                                )
                                .into(),
                            }),
                            Some(e) => e,
                        }
                    }
                }
            };
            failures += 1;
            if failures > self.max_retries {
                return Err(download_err(DownloadProblem::Interrupted {
                    received,
                    total,
                    attempts: failures,
                    last: Box::new(failure),
                }));
            }
            let delay = resume_delay(failures, jitter.next_u64());
            tracing::debug!(received, ?total, failures, ?delay, error = %failure, "download interrupted; resuming");
            tokio::time::sleep(delay).await;
            resumes += 1;
        }
    }
}

/// Failures of opening a link that may pass: connection, timeouts, I/O.
fn is_transient(e: &atlas_transport::Error) -> bool {
    matches!(
        e,
        atlas_transport::Error::Connect { .. }
            | atlas_transport::Error::Timeout { .. }
            | atlas_transport::Error::Io { .. }
    )
}

/// The pause before the `failures`-th resume (from 1): 0.5 s doubling, at most 30 s, with the
/// upper half jittered.
pub(crate) fn resume_delay(failures: u32, random: u64) -> Duration {
    let exp = failures.saturating_sub(1).min(16);
    let base = FIRST_RESUME_DELAY
        .saturating_mul(1u32 << exp)
        .min(MAX_RESUME_DELAY);
    let half = base / 2;
    let half_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(random % half_nanos.saturating_add(1))
}

/// `bytes START-END/SIZE` (or `/*`): the start and the size.
pub(crate) fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, size) = rest.split_once('/')?;
    let (start, end) = range.trim().split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end: u64 = end.trim().parse().ok()?;
    if end < start {
        return None;
    }
    let size = match size.trim() {
        "*" => None,
        s => {
            let s: u64 = s.parse().ok()?;
            if end >= s {
                return None;
            }
            Some(s)
        }
    };
    Some((start, size))
}

fn content_length(h: &HeaderMap) -> Option<u64> {
    h.get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A validator usable in `If-Range`: a strong `ETag`, else `Last-Modified`.
fn validator_of(h: &HeaderMap) -> Option<String> {
    let text = |name| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    text(http::header::ETAG)
        .filter(|e| !e.starts_with("W/"))
        .or_else(|| text(http::header::LAST_MODIFIED))
}

/// A `Location`, absolute or relative to `base`.
fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    if location.contains("://") {
        return location.parse().ok();
    }
    let scheme = base.scheme_str()?;
    let authority = base.authority()?;
    if location.starts_with('/') {
        return format!("{scheme}://{authority}{location}").parse().ok();
    }
    None
}

/// The start of an error body (at most 4 KiB, as text).
async fn read_excerpt(body: &mut BodyStream) -> String {
    let mut out = Vec::new();
    while out.len() < 4096 {
        match body.next_chunk().await {
            Some(Ok(c)) => out.extend_from_slice(&c[..c.len().min(4096 - out.len())]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The text of `<name>...</name>` in an object store's XML error body.
pub(crate) fn xml_field(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&close)? + start;
    let value = text[start..end].trim();
    (!value.is_empty()).then(|| value.chars().take(200).collect())
}

/// `archive.tgz` -> `archive.tgz.part`.
pub(crate) fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

/// Moves the finished `.part` file to its name: without replacing an existing file for
/// [`Overwrite::Refuse`] (a hard link fails if the name is taken), replacing it otherwise.
async fn put_in_place(part: &Path, path: &Path, overwrite: Overwrite) -> std::io::Result<()> {
    match overwrite {
        Overwrite::Replace => tokio::fs::rename(part, path).await?,
        Overwrite::Refuse => match tokio::fs::hard_link(part, path).await {
            Ok(()) => tokio::fs::remove_file(part).await?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(e),
            // A file system without hard links: check, then rename.
            Err(_) => {
                if tokio::fs::symlink_metadata(path).await.is_ok() {
                    return Err(std::io::ErrorKind::AlreadyExists.into());
                }
                tokio::fs::rename(part, path).await?;
            }
        },
    }
    // Make the rename durable: sync the directory (best effort; not every platform can).
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = tokio::fs::File::open(dir).await {
            let _ = d.sync_all().await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 0-0/*"), Some((0, None)));
        for bad in [
            "bytes 100-99/200",
            "bytes 100-200/200",
            "items 0-1/2",
            "bytes */200",
            "bytes 1-2",
            "",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn xml_error_fields_and_part_names() {
        let body = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";
        assert_eq!(xml_field(body, "Code").as_deref(), Some("AccessDenied"));
        assert_eq!(
            xml_field(body, "Message").as_deref(),
            Some("Request has expired")
        );
        assert_eq!(xml_field(body, "RequestId"), None);
        assert_eq!(
            part_path(Path::new("/d/x.tgz")),
            PathBuf::from("/d/x.tgz.part")
        );
        assert_eq!(part_path(Path::new("x")), PathBuf::from("x.part"));
    }

    proptest! {
        #[test]
        fn resume_delays_grow_and_stay_bounded(f in 1u32..100, r in any::<u64>()) {
            let d = resume_delay(f, r);
            prop_assert!(d <= MAX_RESUME_DELAY);
            prop_assert!(d >= FIRST_RESUME_DELAY / 2);
            prop_assert!(resume_delay(f + 1, 0) >= resume_delay(f, 0));
        }

        #[test]
        fn content_range_parser_never_panics(s in ".{0,40}") {
            let _ = parse_content_range(&s);
        }
    }
}
