//! Writes one image file on the store's writer thread.
//!
//! Where the filesystem allows it the file is written with `O_DIRECT`: on this
//! kind of (virtual) disk the kernel's buffered writeback ran at 0.4–2 GB/s and
//! swung by 10× from one run to the next, while direct writes of 4 MiB ran at
//! 2–2.5 GB/s every time, so a large upload is bound by hashing, not by
//! writeback. Direct I/O wants the buffer address, length and file offset
//! aligned to the device's block size, hence the aligned staging buffer and the
//! padded last block that `finish` truncates away. Elsewhere (tmpfs, other
//! systems) the file goes through the page cache with early writeback.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// Alignment for direct I/O: a multiple of every common logical block size.
const DIRECT_ALIGN: usize = 4096;

/// Bytes staged before each direct write.
const DIRECT_STAGE: usize = 4 * 1024 * 1024;

/// Bytes written between two early-writeback requests (buffered mode).
const WRITEBACK_STEP: u64 = 16 * 1024 * 1024;

/// How image files are opened and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Direct,
    Buffered,
}

impl WriteMode {
    /// `Direct` if one aligned direct write works in `dir` (no fsync: this runs at
    /// every start, once per store).
    pub fn probe(dir: &Path) -> Self {
        let probe = dir.join(format!(".direct-probe-{}", uuid::Uuid::new_v4().simple()));
        let works = (|| -> std::io::Result<()> {
            let FileWriter::Direct(mut writer) = FileWriter::create(&probe, WriteMode::Direct)? else {
                return Err(std::io::ErrorKind::Unsupported.into());
            };
            writer.write(&[0u8; DIRECT_ALIGN])?;
            writer.write_stage(DIRECT_ALIGN)
        })()
        .is_ok();
        let _ = std::fs::remove_file(&probe);
        if works {
            Self::Direct
        } else {
            Self::Buffered
        }
    }
}

pub enum FileWriter {
    Direct(DirectWriter),
    Buffered(BufferedWriter),
}

impl FileWriter {
    /// Creates `path` (which must not exist) for writing in `mode`.
    pub fn create(path: &Path, mode: WriteMode) -> std::io::Result<Self> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        match mode {
            WriteMode::Direct => {
                open_direct(&mut options)?;
                Ok(Self::Direct(DirectWriter::new(options.open(path)?)?))
            }
            WriteMode::Buffered => Ok(Self::Buffered(BufferedWriter {
                file: options.open(path)?,
                written: 0,
                writeback_from: 0,
            })),
        }
    }

    pub fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Direct(w) => w.write(data),
            Self::Buffered(w) => w.write(data),
        }
    }

    /// Writes what is left and makes the file durable (`fsync`).
    pub fn finish(self) -> std::io::Result<()> {
        match self {
            Self::Direct(w) => w.finish(),
            Self::Buffered(w) => w.file.sync_all(),
        }
    }
}

#[cfg(target_os = "linux")]
fn open_direct(options: &mut std::fs::OpenOptions) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    options.custom_flags(libc::O_DIRECT);
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_options: &mut std::fs::OpenOptions) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

pub struct DirectWriter {
    file: File,
    /// `DIRECT_STAGE + DIRECT_ALIGN` bytes; the aligned window starts at `start`.
    stage: Vec<u8>,
    start: usize,
    filled: usize,
    written: u64,
}

impl DirectWriter {
    fn new(file: File) -> std::io::Result<Self> {
        let stage = vec![0u8; DIRECT_STAGE + DIRECT_ALIGN];
        let start = stage.as_ptr().align_offset(DIRECT_ALIGN);
        if start >= DIRECT_ALIGN {
            return Err(std::io::Error::other("cannot align a direct I/O buffer"));
        }
        Ok(Self {
            file,
            stage,
            start,
            filled: 0,
            written: 0,
        })
    }

    fn write(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            let n = (DIRECT_STAGE - self.filled).min(data.len());
            let at = self.start + self.filled;
            self.stage[at..at + n].copy_from_slice(&data[..n]);
            self.filled += n;
            data = &data[n..];
            if self.filled == DIRECT_STAGE {
                self.write_stage(DIRECT_STAGE)?;
            }
        }
        Ok(())
    }

    /// Writes the first `len` (a multiple of `DIRECT_ALIGN`) staged bytes.
    fn write_stage(&mut self, len: usize) -> std::io::Result<()> {
        self.file.write_all(&self.stage[self.start..self.start + len])?;
        self.written += len as u64;
        self.filled = 0;
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        let size = self.written + self.filled as u64;
        if self.filled > 0 {
            // The last block is written whole, zero-padded, then cut back to the real size.
            let padded = self.filled.next_multiple_of(DIRECT_ALIGN);
            self.stage[self.start + self.filled..self.start + padded].fill(0);
            self.write_stage(padded)?;
            self.file.set_len(size)?;
        }
        self.file.sync_all()
    }
}

pub struct BufferedWriter {
    file: File,
    written: u64,
    writeback_from: u64,
}

impl BufferedWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.file.write_all(data)?;
        self.written += data.len() as u64;
        if self.written - self.writeback_from >= WRITEBACK_STEP {
            start_writeback(&self.file, self.writeback_from, self.written - self.writeback_from);
            self.writeback_from = self.written;
        }
        Ok(())
    }
}

/// Asks the kernel to start writing `len` bytes at `offset` to disk now, without
/// waiting. Otherwise the page cache holds the whole image until the final fsync,
/// which then waits for all of it while the cores that hashed it sit idle. Best
/// effort: if it fails, fsync does all the work.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: `file` keeps the descriptor open for the whole call, and
    // sync_file_range reads nothing but its integer arguments.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory on the disk that holds the build (not a tmpfs /tmp): direct I/O
    /// must work there, as it does where the store's data dir lives.
    fn disk_dir() -> tempfile::TempDir {
        let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tmp");
        std::fs::create_dir_all(&target).unwrap();
        tempfile::tempdir_in(target).unwrap()
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    }

    /// Sizes around the block and stage boundaries, written in uneven pieces.
    fn round_trips(dir: &Path, mode: WriteMode) {
        let sizes = [
            0,
            1,
            DIRECT_ALIGN - 1,
            DIRECT_ALIGN,
            DIRECT_ALIGN + 1,
            DIRECT_STAGE - 1,
            DIRECT_STAGE,
            DIRECT_STAGE + 1,
            3 * DIRECT_STAGE + 12_345,
        ];
        for size in sizes {
            let data = pattern(size);
            let path = dir.join(format!("f-{mode:?}-{size}"));
            let mut writer = FileWriter::create(&path, mode).unwrap();
            assert_eq!(matches!(writer, FileWriter::Direct(_)), mode == WriteMode::Direct);
            for piece in data.chunks(524_287) {
                writer.write(piece).unwrap();
            }
            writer.finish().unwrap();
            assert!(std::fs::read(&path).unwrap() == data, "{mode:?}, {size} bytes");
        }
    }

    #[test]
    fn direct_writes_round_trip_on_disk() {
        let dir = disk_dir();
        assert_eq!(WriteMode::probe(dir.path()), WriteMode::Direct);
        round_trips(dir.path(), WriteMode::Direct);
        // The probe leaves nothing behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| n.starts_with("f-")), "{names:?}");
    }

    #[test]
    fn buffered_writes_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        round_trips(dir.path(), WriteMode::Buffered);
    }

    #[test]
    fn create_refuses_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("taken");
        std::fs::write(&path, b"x").unwrap();
        assert!(FileWriter::create(&path, WriteMode::Buffered).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
    }
}
