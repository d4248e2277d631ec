//! Hashing and writing on worker threads, so md5, sha512 and the disk each
//! get a core's worth of time instead of taking turns on one (the writing
//! itself is `file_writer`).

use std::sync::Arc;

use bytes::Bytes;
use openssl::hash::{Hasher, MessageDigest};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::file_writer::FileWriter;

/// Hex digests of one image's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashes {
    pub md5_hex: String,
    pub sha512_hex: String,
}

/// Batches in flight per worker: enough to keep every worker busy, small
/// enough that memory stays flat (16 × 512 KiB per worker at most).
const QUEUE_DEPTH: usize = 16;

/// Bytes gathered before handing a batch to the workers.
const BATCH: usize = 512 * 1024;

/// Body frames handed to every worker at once. The frames are shared, not
/// copied into one buffer: a copy of every uploaded byte on the request's
/// thread was CPU the hashers could not have.
type Batch = Arc<Vec<Bytes>>;

/// OpenSSL's md5 and sha512 rather than RustCrypto's: its assembly is 29% and
/// 42% faster on this machine's CPU, and during an upload these two hashes are
/// two thirds of all the CPU time (perf, `bench/README.md`).
fn spawn_hasher(kind: MessageDigest, mut rx: mpsc::Receiver<Batch>) -> JoinHandle<std::io::Result<String>> {
    tokio::task::spawn_blocking(move || {
        let mut hasher = Hasher::new(kind).map_err(std::io::Error::other)?;
        while let Some(batch) = rx.blocking_recv() {
            for frame in batch.iter() {
                hasher.update(frame).map_err(std::io::Error::other)?;
            }
        }
        Ok(hex::encode(hasher.finish().map_err(std::io::Error::other)?))
    })
}

/// Feeds every chunk to an md5 worker, a sha512 worker and, optionally, a
/// writer worker; `finish` joins them.
pub struct HashedSink {
    /// Small body frames are gathered into batches: one channel hop per
    /// batch instead of per frame keeps the workers busy hashing.
    pending: Vec<Bytes>,
    pending_len: usize,
    md5_tx: mpsc::Sender<Batch>,
    sha_tx: mpsc::Sender<Batch>,
    write_tx: Option<mpsc::Sender<Batch>>,
    md5: JoinHandle<std::io::Result<String>>,
    sha512: JoinHandle<std::io::Result<String>>,
    writer: Option<JoinHandle<std::io::Result<()>>>,
}

impl HashedSink {
    /// Hash only (for stores that upload elsewhere and hash locally).
    pub fn hash_only() -> Self {
        Self::build(None)
    }

    /// Hash and write through `file`, made durable at the end.
    pub(crate) fn with_file(file: FileWriter) -> Self {
        Self::build(Some(file))
    }

    fn build(file: Option<FileWriter>) -> Self {
        let (md5_tx, md5_rx) = mpsc::channel(QUEUE_DEPTH);
        let (sha_tx, sha_rx) = mpsc::channel(QUEUE_DEPTH);
        let md5 = spawn_hasher(MessageDigest::md5(), md5_rx);
        let sha512 = spawn_hasher(MessageDigest::sha512(), sha_rx);
        let (write_tx, writer) = match file {
            Some(file) => {
                let (tx, mut rx) = mpsc::channel::<Batch>(QUEUE_DEPTH);
                let handle = tokio::task::spawn_blocking(move || {
                    let mut file = file;
                    while let Some(batch) = rx.blocking_recv() {
                        for frame in batch.iter() {
                            file.write(frame)?;
                        }
                    }
                    file.finish()
                });
                (Some(tx), Some(handle))
            }
            None => (None, None),
        };
        Self {
            pending: Vec::new(),
            pending_len: 0,
            md5_tx,
            sha_tx,
            write_tx,
            md5,
            sha512,
            writer,
        }
    }

    /// Queue one chunk. Errors only if a worker died (its error surfaces in `finish`).
    pub async fn push(&mut self, chunk: Bytes) -> Result<(), std::io::Error> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.pending_len += chunk.len();
        self.pending.push(chunk);
        if self.pending_len >= BATCH {
            self.pending_len = 0;
            let batch = Arc::new(std::mem::take(&mut self.pending));
            self.dispatch(batch).await?;
        }
        Ok(())
    }

    async fn dispatch(&self, batch: Batch) -> Result<(), std::io::Error> {
        let closed = || std::io::Error::other("store worker stopped");
        if let Some(tx) = &self.write_tx {
            tx.send(batch.clone()).await.map_err(|_| closed())?;
        }
        self.md5_tx.send(batch.clone()).await.map_err(|_| closed())?;
        self.sha_tx.send(batch).await.map_err(|_| closed())?;
        Ok(())
    }

    /// Close the queues and wait for every worker.
    pub async fn finish(mut self) -> Result<Hashes, std::io::Error> {
        if !self.pending.is_empty() {
            let rest = Arc::new(std::mem::take(&mut self.pending));
            // A dead worker reports its own error below.
            let _ = self.dispatch(rest).await;
        }
        let Self {
            md5_tx,
            sha_tx,
            write_tx,
            md5,
            sha512,
            writer,
            ..
        } = self;
        drop((md5_tx, sha_tx, write_tx));
        let join_err = |e: tokio::task::JoinError| std::io::Error::other(e.to_string());
        if let Some(writer) = writer {
            writer.await.map_err(join_err)??;
        }
        Ok(Hashes {
            md5_hex: md5.await.map_err(join_err)??,
            sha512_hex: sha512.await.map_err(join_err)??,
        })
    }
}
