//! A file written on one blocking thread from owned chunks, for downloads.
//!
//! `tokio::fs::File` copies every write into a buffer of its own before it hands it to a blocking
//! thread, and a `BufWriter` in front of it copies once more: two user-space copies per byte on
//! top of the kernel's. Here the chunks the body yields (`Bytes`, reference-counted) travel through
//! a bounded channel to a thread that writes them with `std::fs::File::write_all`: no user-space
//! copy at all. The channel holds at most [`QUEUED_CHUNKS`] chunks, so memory stays bounded
//! whatever the archive's size, and a slow disk slows the transfer down instead of filling memory.

use std::io::{self, Seek, SeekFrom, Write};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Chunks waiting for the writer thread (each at most what one read of the body yields).
const QUEUED_CHUNKS: usize = 8;

enum Op {
    Write(Bytes),
    /// Empty the file and write from its start again.
    Truncate(oneshot::Sender<io::Result<()>>),
    /// `fsync` what was written.
    Sync(oneshot::Sender<io::Result<()>>),
}

/// The sending side; the thread ends when it is dropped (or at the first write error, which the
/// next call returns).
pub(crate) struct FileWriter {
    ops: Option<mpsc::Sender<Op>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl FileWriter {
    /// Starts the writer thread for `file` (opened for writing by the caller).
    pub(crate) fn new(file: std::fs::File) -> FileWriter {
        let (tx, mut rx) = mpsc::channel::<Op>(QUEUED_CHUNKS);
        let thread = tokio::task::spawn_blocking(move || {
            let mut file = file;
            while let Some(op) = rx.blocking_recv() {
                match op {
                    Op::Write(chunk) => file.write_all(&chunk)?,
                    Op::Truncate(done) => {
                        let r = file
                            .set_len(0)
                            .and_then(|()| file.seek(SeekFrom::Start(0)).map(drop));
                        let _ = done.send(r);
                    }
                    Op::Sync(done) => {
                        let _ = done.send(file.sync_all());
                    }
                }
            }
            Ok(())
        });
        FileWriter {
            ops: Some(tx),
            thread: Some(thread),
        }
    }

    /// Queues `chunk`; waits only while the queue is full.
    pub(crate) async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        let sent = match &self.ops {
            Some(ops) => ops.send(Op::Write(chunk)).await.is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            Err(self.failure().await)
        }
    }

    /// Empties the file (after every queued chunk is written).
    pub(crate) async fn truncate(&mut self) -> io::Result<()> {
        self.ask(Op::Truncate).await
    }

    /// Writes every queued chunk and syncs the file to disk.
    pub(crate) async fn sync(&mut self) -> io::Result<()> {
        self.ask(Op::Sync).await
    }

    async fn ask(&mut self, op: fn(oneshot::Sender<io::Result<()>>) -> Op) -> io::Result<()> {
        let (tx, rx) = oneshot::channel();
        let sent = match &self.ops {
            Some(ops) => ops.send(op(tx)).await.is_ok(),
            None => false,
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
        self.ops = None;
        match self.thread.take() {
            Some(thread) => match thread.await {
                Ok(Err(e)) => e,
                Ok(Ok(())) => io::Error::other("the file writer stopped"),
                Err(e) => io::Error::other(format!("the file writer failed: {e}")),
            },
            None => io::Error::other("the file writer stopped earlier"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_land_in_order_and_truncate_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut w = FileWriter::new(std::fs::File::create(&path).unwrap());
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
        // /dev/full answers every write with ENOSPC.
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full (Linux)");
        let mut w = FileWriter::new(full);
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
