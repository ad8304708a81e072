//! The deterministic snapshot archive: a real `.tgz` of any size, generated on demand from a seed,
//! byte by byte at any offset, so that the mock never holds an archive in memory.
//!
//! # The format (stable: tests in any language may rebuild it)
//!
//! The archive is one gzip member (RFC 1952) of exactly [`ArchiveSpec::size`] bytes:
//!
//! 1. a 10-byte header `1f 8b 08 FLG MTIME(4, LE) 00 ff`, then, when `FLG` is `0x10`, a comment of
//!    spaces ending in a NUL that pads the archive to its exact size;
//! 2. the tar stream in *stored* (uncompressed) deflate blocks of at most 65,535 bytes, each behind a
//!    5-byte block header (`BFINAL`, `LEN`, `NLEN`);
//! 3. the trailer: CRC-32 and length (mod 2^32) of the tar stream, little-endian.
//!
//! The tar stream (POSIX ustar) holds one regular file, `restore-{snapshotId}/snapshot.bin`, mode
//! 0644, owner `mongodb`, modification time the snapshot id's ObjectId timestamp, followed by two
//! zero blocks. Its size is a multiple of 512, the largest that fits. File byte `k` is byte `k % 8`
//! (little-endian) of `splitmix64(seed + (k / 8 + 1) * 0x9E3779B97F4A7C15)`, the standard SplitMix64
//! output number `k / 8` of a generator seeded with [`ArchiveSpec::seed`]. `tar tzf` and
//! `gzip -t` accept it; its SHA-256 depends only on the spec.

use std::sync::Arc;

use super::crc32::Crc32;

/// Smallest archive: the gzip and tar framing of an empty file, rounded up.
pub const MIN_ARCHIVE_BYTES: u64 = 2048;
/// Largest archive (1 TiB): the size is only a number; nothing of it is ever held in memory.
pub const MAX_ARCHIVE_BYTES: u64 = 1 << 40;
/// Default archive size: 1 MiB.
pub const DEFAULT_ARCHIVE_BYTES: u64 = 1 << 20;

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
const BLOCK: u64 = 65_535;
const BLOCK_HEADER: u64 = 5;
const GZIP_HEADER: u64 = 10;
const TRAILER: u64 = 8;
const TAR_FRAMING: u64 = 512 + 1024;

fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The word `w` (0-based) of the file data.
fn word(seed: u64, w: u64) -> u64 {
    splitmix64(seed.wrapping_add(w.wrapping_add(1).wrapping_mul(GAMMA)))
}

/// FNV-1a, for seeds derived from ids (stable across runs and platforms).
pub(crate) fn fnv1a64(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// What an archive is made of. Equal specs give byte-identical archives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ArchiveSpec {
    /// Total size in bytes.
    pub(crate) size: u64,
    /// Seed of the file data.
    pub(crate) seed: u64,
    /// The snapshot id (names the tar member; its timestamp is the member's mtime).
    pub(crate) snapshot_id: String,
}

impl ArchiveSpec {
    /// The snapshot id's ObjectId timestamp (its first 8 hex digits), 0 when it has none.
    fn mtime(&self) -> u32 {
        self.snapshot_id
            .get(..8)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    }
}

/// An archive's layout: where each part is. Cheap to share; holds the small headers only.
#[derive(Debug)]
pub(crate) struct Layout {
    pub(crate) spec: ArchiveSpec,
    /// The gzip header with its padding comment.
    gzip_header: Vec<u8>,
    /// The tar header block.
    tar_header: [u8; 512],
    /// Bytes of file data (a multiple of 512).
    file_len: u64,
}

fn blocks(tar_len: u64) -> u64 {
    tar_len.div_ceil(BLOCK).max(1)
}

fn size_for(file_len: u64) -> u64 {
    let tar = TAR_FRAMING + file_len;
    GZIP_HEADER + tar + BLOCK_HEADER * blocks(tar) + TRAILER
}

/// Writes `v` as a NUL-terminated octal field of `field.len()` bytes, or in GNU base-256 when it
/// does not fit (sizes of 8 GiB and more).
fn numeric(field: &mut [u8], v: u64) {
    let digits = field.len() - 1;
    if digits >= 22 || v < 1u64 << (3 * digits) {
        let s = format!("{v:0digits$o}");
        field[..digits].copy_from_slice(s.as_bytes());
        field[digits] = 0;
    } else {
        field.fill(0);
        let n = field.len();
        field[n - 8..].copy_from_slice(&v.to_be_bytes());
        field[0] = 0x80;
    }
}

fn tar_header(spec: &ArchiveSpec, file_len: u64) -> [u8; 512] {
    let mut h = [0u8; 512];
    let name = format!("restore-{}/snapshot.bin", spec.snapshot_id);
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name.as_bytes()[..n]);
    numeric(&mut h[100..108], 0o644);
    numeric(&mut h[108..116], 0);
    numeric(&mut h[116..124], 0);
    numeric(&mut h[124..136], file_len);
    numeric(&mut h[136..148], u64::from(spec.mtime()));
    h[148..156].fill(b' ');
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[265..272].copy_from_slice(b"mongodb");
    h[297..304].copy_from_slice(b"mongodb");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    h
}

impl Layout {
    /// The layout of `spec`; `None` when the size is outside
    /// [`MIN_ARCHIVE_BYTES`]..=[`MAX_ARCHIVE_BYTES`].
    pub(crate) fn new(spec: ArchiveSpec) -> Option<Arc<Self>> {
        if !(MIN_ARCHIVE_BYTES..=MAX_ARCHIVE_BYTES).contains(&spec.size) {
            return None;
        }
        let s = spec.size;
        // The largest file (a multiple of 512) whose framed size fits; the rest is the comment.
        let mut f = (s.saturating_sub(size_for(0) + BLOCK_HEADER * (s / BLOCK + 1)) / 512) * 512;
        while size_for(f + 512) <= s {
            f += 512;
        }
        while f > 0 && size_for(f) > s {
            f -= 512;
        }
        let comment = usize::try_from(s - size_for(f)).ok()?;
        let mut gzip_header = vec![0x1f, 0x8b, 0x08, if comment > 0 { 0x10 } else { 0 }];
        gzip_header.extend_from_slice(&spec.mtime().to_le_bytes());
        gzip_header.extend_from_slice(&[0x00, 0xff]);
        if comment > 0 {
            gzip_header.extend(std::iter::repeat_n(b' ', comment - 1));
            gzip_header.push(0);
        }
        let tar_header = tar_header(&spec, f);
        Some(Arc::new(Self {
            spec,
            gzip_header,
            tar_header,
            file_len: f,
        }))
    }

    /// Total size.
    pub(crate) fn size(&self) -> u64 {
        self.spec.size
    }

    fn tar_len(&self) -> u64 {
        TAR_FRAMING + self.file_len
    }

    fn deflate_start(&self) -> u64 {
        self.gzip_header.len() as u64
    }

    /// Where the trailer (the CRC) starts: a range ending before it needs no CRC.
    pub(crate) fn trailer_start(&self) -> u64 {
        self.size() - TRAILER
    }

    /// A strong validator for `ETag` (32 hex digits of the spec's hash).
    pub(crate) fn etag(&self) -> String {
        let a = word(
            self.spec.seed ^ fnv1a64(&self.spec.snapshot_id),
            self.spec.size,
        );
        let b = word(a, 7);
        format!("\"{a:016x}{b:016x}\"")
    }

    /// The modification time (seconds since the epoch).
    pub(crate) fn mtime(&self) -> i64 {
        i64::from(self.spec.mtime())
    }

    /// Fills `out` with the file data from data offset `d`.
    fn fill_data(&self, d: u64, out: &mut [u8]) {
        let seed = self.spec.seed;
        let mut i = 0;
        let mut pos = d;
        // Up to the next word boundary.
        while i < out.len() && pos % 8 != 0 {
            out[i] = word(seed, pos / 8).to_le_bytes()[(pos % 8) as usize];
            i += 1;
            pos += 1;
        }
        let mut w = pos / 8;
        let mut chunks = out[i..].chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&word(seed, w).to_le_bytes());
            w += 1;
        }
        let rest = chunks.into_remainder();
        if !rest.is_empty() {
            let bytes = word(seed, w).to_le_bytes();
            let n = rest.len();
            rest.copy_from_slice(&bytes[..n]);
        }
    }

    /// Fills `out` with tar bytes from tar offset `t`.
    fn fill_tar(&self, t: u64, out: &mut [u8]) {
        let mut t = t;
        let mut out = out;
        while !out.is_empty() {
            let n;
            if t < 512 {
                n = out.len().min(512 - t as usize);
                out[..n].copy_from_slice(&self.tar_header[t as usize..t as usize + n]);
            } else if t < 512 + self.file_len {
                n = out
                    .len()
                    .min(usize::try_from(512 + self.file_len - t).unwrap_or(usize::MAX));
                self.fill_data(t - 512, &mut out[..n]);
            } else {
                n = out.len();
                out.fill(0);
            }
            t += n as u64;
            out = &mut out[n..];
        }
    }

    /// Fills `out` with archive bytes from `offset`. Every tar byte produced is passed to `tar_seen`
    /// (in order), so a caller serving from offset 0 can compute the CRC on the way; `crc` gives the
    /// CRC when the trailer is reached.
    pub(crate) fn fill(
        &self,
        offset: u64,
        out: &mut [u8],
        tar_seen: &mut dyn FnMut(&[u8]),
        crc: &mut dyn FnMut() -> u32,
    ) {
        let mut o = offset;
        let mut i = 0;
        let deflate_end =
            self.deflate_start() + self.tar_len() + BLOCK_HEADER * blocks(self.tar_len());
        while i < out.len() && o < self.size() {
            let left = out.len() - i;
            let n;
            if o < self.deflate_start() {
                let h = o as usize;
                n = left.min(self.gzip_header.len() - h);
                out[i..i + n].copy_from_slice(&self.gzip_header[h..h + n]);
            } else if o < deflate_end {
                let p = o - self.deflate_start();
                let k = p / (BLOCK + BLOCK_HEADER);
                let r = p % (BLOCK + BLOCK_HEADER);
                let start = k * BLOCK;
                let len = BLOCK.min(self.tar_len() - start);
                if r < BLOCK_HEADER {
                    let last = start + len == self.tar_len();
                    let l = len as u16;
                    let hdr = [
                        u8::from(last),
                        l.to_le_bytes()[0],
                        l.to_le_bytes()[1],
                        (!l).to_le_bytes()[0],
                        (!l).to_le_bytes()[1],
                    ];
                    n = left.min((BLOCK_HEADER - r) as usize);
                    out[i..i + n].copy_from_slice(&hdr[r as usize..r as usize + n]);
                } else {
                    let within = r - BLOCK_HEADER;
                    n = left.min(usize::try_from(len - within).unwrap_or(usize::MAX));
                    self.fill_tar(start + within, &mut out[i..i + n]);
                    tar_seen(&out[i..i + n]);
                }
            } else {
                let mut t = [0u8; 8];
                t[..4].copy_from_slice(&crc().to_le_bytes());
                t[4..].copy_from_slice(&(self.tar_len() as u32).to_le_bytes());
                let at = (o - deflate_end) as usize;
                n = left.min(8 - at);
                out[i..i + n].copy_from_slice(&t[at..at + n]);
            }
            i += n;
            o += n as u64;
        }
    }

    /// The CRC-32 of the tar stream: one pass over it (about a second per GiB).
    pub(crate) fn compute_crc(&self) -> u32 {
        let mut c = Crc32::default();
        let mut buf = vec![0u8; 256 * 1024];
        let mut t = 0;
        while t < self.tar_len() {
            let n = buf
                .len()
                .min(usize::try_from(self.tar_len() - t).unwrap_or(usize::MAX));
            self.fill_tar(t, &mut buf[..n]);
            c.update(&buf[..n]);
            t += n as u64;
        }
        c.finish()
    }

    /// The SHA-256 of the whole archive (lower-case hex), given its CRC.
    pub(crate) fn sha256(&self, crc: u32) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut o = 0;
        while o < self.size() {
            let n = buf
                .len()
                .min(usize::try_from(self.size() - o).unwrap_or(usize::MAX));
            self.fill(o, &mut buf[..n], &mut |_| {}, &mut || crc);
            h.update(&buf[..n]);
            o += n as u64;
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: u64) -> Arc<Layout> {
        Layout::new(ArchiveSpec {
            size,
            seed: 42,
            snapshot_id: "6740a1f2c3d4e5f6a7b8c901".into(),
        })
        .unwrap()
    }

    fn whole(l: &Layout) -> Vec<u8> {
        let crc = l.compute_crc();
        let mut v = vec![0u8; l.size() as usize];
        l.fill(0, &mut v, &mut |_| {}, &mut || crc);
        v
    }

    #[test]
    fn exact_sizes_and_bounds() {
        for size in [
            MIN_ARCHIVE_BYTES,
            2049,
            4096,
            65_535 + 1600,
            65_540 * 3 + 11,
            1 << 20,
            (1 << 20) + 333,
        ] {
            let l = layout(size);
            assert_eq!(whole(&l).len() as u64, size);
            assert_eq!(l.file_len % 512, 0);
            assert!(
                size - size_for(l.file_len) < 512 + 2 * BLOCK_HEADER,
                "{size}"
            );
        }
        assert!(
            Layout::new(ArchiveSpec {
                size: MIN_ARCHIVE_BYTES - 1,
                seed: 0,
                snapshot_id: String::new()
            })
            .is_none()
        );
        assert!(
            Layout::new(ArchiveSpec {
                size: MAX_ARCHIVE_BYTES + 1,
                seed: 0,
                snapshot_id: String::new()
            })
            .is_none()
        );
    }

    #[test]
    fn any_offset_gives_the_same_bytes_and_the_crc_can_be_tracked() {
        let l = layout(300_000);
        let all = whole(&l);
        let crc = l.compute_crc();
        for (start, len) in [
            (0, 7),
            (3, 65_600),
            (10, 1),
            (65_549, 13),
            (299_990, 10),
            (123_456, 100_000),
        ] {
            let mut part = vec![0u8; len];
            l.fill(start, &mut part, &mut |_| {}, &mut || crc);
            assert_eq!(
                &part[..],
                &all[start as usize..start as usize + len],
                "{start}"
            );
        }
        // From offset 0 in odd pieces, the CRC seen on the way equals the computed one.
        let tracked = std::cell::Cell::new(Crc32::default());
        let mut o = 0u64;
        let mut piece = 1usize;
        while o < l.size() {
            let n = piece.min((l.size() - o) as usize);
            let mut buf = vec![0u8; n];
            let mut seen = |b: &[u8]| {
                let mut c = tracked.get();
                c.update(b);
                tracked.set(c);
            };
            l.fill(o, &mut buf, &mut seen, &mut || tracked.get().finish());
            assert_eq!(&buf[..], &all[o as usize..o as usize + n]);
            o += n as u64;
            piece = piece * 3 + 1;
        }
        assert_eq!(tracked.get().finish(), crc);
        // The trailer carries it.
        let t = &all[all.len() - 8..];
        assert_eq!(u32::from_le_bytes([t[0], t[1], t[2], t[3]]), crc);
    }

    #[test]
    fn the_file_data_follows_the_documented_generator() {
        let l = layout(8192);
        let all = whole(&l);
        // gzip header, no comment or a comment, then the first block header, then the tar header.
        let comment_end = all[10..]
            .iter()
            .position(|&b| b == 0)
            .map_or(10, |p| p + 11);
        let start = if all[3] == 0x10 { comment_end } else { 10 };
        let tar = &all[start + 5..];
        assert_eq!(&tar[257..263], b"ustar\0");
        assert_eq!(&tar[..33], b"restore-6740a1f2c3d4e5f6a7b8c901/");
        let data = &tar[512..520];
        assert_eq!(data, &word(42, 0).to_le_bytes());
        assert_eq!(l.mtime(), 0x6740_a1f2);
    }

    #[test]
    fn big_sizes_use_base_256_in_tar() {
        let mut f = [0u8; 12];
        numeric(&mut f, 0o777);
        assert_eq!(&f, b"00000000777\0");
        numeric(&mut f, 9 << 30);
        assert_eq!(f[0], 0x80);
        assert_eq!(u64::from_be_bytes(f[4..].try_into().unwrap()), 9 << 30);
        let l = layout(10 << 30);
        assert_eq!(l.size(), 10 << 30);
        let mut tail = [0u8; 16];
        l.fill(l.size() - 20, &mut tail, &mut |_| {}, &mut || 7);
        assert_eq!(&tail[12..16], &7u32.to_le_bytes());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]

            /// Any archive, read at any offset, gives the bytes of the whole; the CRC tracked from
            /// offset 0 in arbitrary pieces is the computed one; the size is exact.
            #[test]
            fn any_window_of_any_archive_is_the_same_archive(
                size in MIN_ARCHIVE_BYTES..140_000u64,
                seed in any::<u64>(),
                offset_frac in 0.0f64..1.0,
                len in 0usize..70_000,
                pieces in proptest::collection::vec(1usize..9000, 1..40),
            ) {
                let l = Layout::new(ArchiveSpec { size, seed, snapshot_id: "6740a1f2c3d4e5f6a7b8c901".into() }).unwrap();
                let all = whole(&l);
                prop_assert_eq!(all.len() as u64, size);
                let crc = l.compute_crc();
                let start = ((size as f64) * offset_frac) as u64;
                let n = len.min((size - start) as usize);
                let mut part = vec![0u8; n];
                l.fill(start, &mut part, &mut |_| {}, &mut || crc);
                prop_assert_eq!(&part[..], &all[start as usize..start as usize + n]);
                let tracked = std::cell::Cell::new(Crc32::default());
                let mut o = 0u64;
                for p in pieces.iter().cycle() {
                    if o >= size {
                        break;
                    }
                    let n = (*p).min((size - o) as usize);
                    let mut buf = vec![0u8; n];
                    let mut seen = |b: &[u8]| {
                        let mut c = tracked.get();
                        c.update(b);
                        tracked.set(c);
                    };
                    l.fill(o, &mut buf, &mut seen, &mut || tracked.get().finish());
                    prop_assert_eq!(&buf[..], &all[o as usize..o as usize + n]);
                    o += n as u64;
                }
                prop_assert_eq!(tracked.get().finish(), crc);
            }
        }
    }
}
