//! A download's file, written from owned chunks: on one blocking thread (the default), or inline
//! on the task's own thread ([`FileWriter::inline`], for a program that does nothing else).
//!
//! `tokio::fs::File` copies every write into a buffer of its own before it hands it to a blocking
//! thread, and a `BufWriter` in front of it copies once more: two user-space copies per byte on
//! top of the kernel's. Here the chunks the body yields (`Bytes`, reference-counted) travel through
//! a bounded channel to a thread that writes them with `std::fs::File::write_all`: no user-space
//! copy at all. The channel holds at most [`QUEUED_CHUNKS`] chunks, so memory stays bounded
//! whatever the archive's size, and a slow disk slows the transfer down instead of filling memory.
//!
//! The queue has a price: chunks still queued keep their share of the body's read buffer alive, so
//! the client allocates fresh memory for its next reads, and the allocator hands it back to the
//! system and takes it again (a 512 MiB download: 45,409 page faults against curl's 619), besides a
//! wake-up of the writer thread per chunk. Written inline, each chunk is gone before the next read,
//! the read buffer is reused and stays in cache -- at the cost of blocking the runtime's thread for
//! each write, which only a program that does nothing else should accept.

use std::io::{self, Seek, SeekFrom, Write};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Chunks waiting for the writer thread (each at most what one read of the body yields).
const QUEUED_CHUNKS: usize = 8;

pub(crate) enum Op {
    Write(Bytes),
    /// Empty the file and write from its start again.
    Truncate(oneshot::Sender<io::Result<()>>),
    /// `fsync` what was written.
    Sync(oneshot::Sender<io::Result<()>>),
}

/// How a download writes its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FileWrites {
    /// On a blocking thread of its own, fed through a short queue: the runtime's threads never
    /// wait for the disk (the default, for a program that runs other tasks beside the download).
    #[default]
    WriterThread,
    /// On the downloading task's thread, each chunk written before the next is read: the body's
    /// read buffer is reused and no thread is woken per chunk, so the transfer costs less CPU; the
    /// runtime's thread blocks for every write (for a program that does nothing else, such as the
    /// `atlas-snapshots` CLI).
    Inline,
}

/// The sending side (the thread ends when it is dropped, or at the first write error, which the
/// next call returns), or the file itself when written inline.
pub(crate) enum FileWriter {
    Thread {
        ops: Option<mpsc::Sender<Op>>,
        thread: Option<JoinHandle<io::Result<()>>>,
    },
    Inline(std::fs::File),
}

impl FileWriter {
    /// A writer for `file` (opened for writing by the caller), as `mode` says.
    pub(crate) fn with_mode(file: std::fs::File, mode: FileWrites) -> FileWriter {
        match mode {
            FileWrites::WriterThread => FileWriter::new(file),
            FileWrites::Inline => FileWriter::Inline(file),
        }
    }

    /// Starts the writer thread for `file` (opened for writing by the caller).
    pub(crate) fn new(file: std::fs::File) -> FileWriter {
        let (tx, mut rx) = mpsc::channel::<Op>(QUEUED_CHUNKS);
        let thread = tokio::task::spawn_blocking(move || {
            let mut file = file;
            while let Some(op) = rx.blocking_recv() {
                match op {
                    Op::Write(chunk) => file.write_all(&chunk)?,
                    Op::Truncate(done) => {
                        let _ = done.send(truncate(&mut file));
                    }
                    Op::Sync(done) => {
                        let _ = done.send(file.sync_all());
                    }
                }
            }
            Ok(())
        });
        FileWriter::Thread {
            ops: Some(tx),
            thread: Some(thread),
        }
    }

    /// Queues `chunk` (waits only while the queue is full), or writes it inline.
    pub(crate) async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        let sent = match self {
            FileWriter::Inline(file) => return file.write_all(&chunk),
            FileWriter::Thread { ops: Some(ops), .. } => ops.send(Op::Write(chunk)).await.is_ok(),
            FileWriter::Thread { ops: None, .. } => false,
        };
        if sent {
            Ok(())
        } else {
            Err(self.failure().await)
        }
    }

    /// Empties the file (after every queued chunk is written).
    pub(crate) async fn truncate(&mut self) -> io::Result<()> {
        match self {
            FileWriter::Inline(file) => truncate(file),
            FileWriter::Thread { .. } => self.ask(Op::Truncate).await,
        }
    }

    /// Writes every queued chunk and syncs the file to disk.
    pub(crate) async fn sync(&mut self) -> io::Result<()> {
        match self {
            FileWriter::Inline(file) => file.sync_all(),
            FileWriter::Thread { .. } => self.ask(Op::Sync).await,
        }
    }

    async fn ask(&mut self, op: fn(oneshot::Sender<io::Result<()>>) -> Op) -> io::Result<()> {
        let (tx, rx) = oneshot::channel();
        let sent = match self {
            FileWriter::Thread { ops: Some(ops), .. } => ops.send(op(tx)).await.is_ok(),
            _ => false,
        };
        if !sent {
            return Err(self.failure().await);
        }
        match rx.await {
            Ok(r) => r,
            Err(_) => Err(self.failure().await),
        }
    }

    /// Why the thread stopped: its write error, or that it is gone.
    async fn failure(&mut self) -> io::Error {
        let FileWriter::Thread { ops, thread } = self else {
            return io::Error::other("the file writer stopped");
        };
        *ops = None;
        match thread.take() {
            Some(thread) => match thread.await {
                Ok(Err(e)) => e,
                Ok(Ok(())) => io::Error::other("the file writer stopped"),
                Err(e) => io::Error::other(format!("the file writer failed: {e}")),
            },
            None => io::Error::other("the file writer stopped earlier"),
        }
    }
}

/// Empties `file` and writes from its start again.
fn truncate(file: &mut std::fs::File) -> io::Result<()> {
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)).map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_land_in_order_and_truncate_starts_over() {
        for mode in [FileWrites::WriterThread, FileWrites::Inline] {
            in_order_and_truncate(mode).await;
        }
    }

    async fn in_order_and_truncate(mode: FileWrites) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut w = FileWriter::with_mode(std::fs::File::create(&path).unwrap(), mode);
        for i in 0..100u8 {
            w.write(Bytes::from(vec![i; 1000])).await.unwrap();
        }
        w.sync().await.unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 100_000);
        assert!(
            bytes
                .chunks(1000)
                .enumerate()
                .all(|(i, c)| c.iter().all(|b| *b == i as u8))
        );
        w.truncate().await.unwrap();
        w.write(Bytes::from_static(b"again")).await.unwrap();
        w.sync().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"again");
    }

    #[tokio::test]
    async fn a_write_error_is_returned_not_lost() {
        for mode in [FileWrites::WriterThread, FileWrites::Inline] {
            write_error_returned(mode).await;
        }
    }

    async fn write_error_returned(mode: FileWrites) {
        // /dev/full answers every write with ENOSPC.
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full (Linux)");
        let mut w = FileWriter::with_mode(full, mode);
        let mut err = None;
        for _ in 0..(QUEUED_CHUNKS + 4) {
            if let Err(e) = w.write(Bytes::from(vec![0; 4096])).await {
                err = Some(e);
                break;
            }
        }
        let err = match err {
            Some(e) => e,
            None => w.sync().await.expect_err("the disk is full"),
        };
        assert_eq!(err.raw_os_error(), Some(28), "{err}");
    }
}
