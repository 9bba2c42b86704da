//! Large byte buffers (file contents, inflated volumes), reused from one case of a batch to the next and placed on
//! transparent huge pages. A fresh 32 MB buffer costs ~8 000 page faults, each zeroing a page and charging it to
//! the memory cgroup (and, in a virtual machine, often a fault of the host too): about a tenth of a CT case's
//! extraction time. A buffer taken back from this thread's pool costs none; a fresh one on 2 MB pages costs 16.
//!
//! Linux's usual THP setting (`madvise`) gives huge pages only to memory that asks for them, which the allocator's
//! memory does not: a large buffer is an anonymous mapping (`memmap2`) with that advice. Mappings are made in
//! power-of-two sizes, so that the next, slightly larger volume of a batch still fits a pooled one; only the pages
//! written are ever backed by memory.

use std::cell::RefCell;
use std::io::Read;
use std::ops::{Deref, DerefMut};

/// Buffers of at least this size are pooled mappings; smaller ones are ordinary vectors.
const MAPPED: usize = 4 << 20;

/// Mappings kept per thread: a case holds at most four large buffers at once (image and mask, compressed and
/// inflated).
const KEPT: usize = 4;

thread_local! {
    static POOL: RefCell<Vec<memmap2::MmapMut>> = const { RefCell::new(Vec::new()) };
}

/// A byte buffer: a vector, or a mapping of which the first `len` bytes are in use. A mapping goes back to this
/// thread's pool when the buffer is dropped.
pub(crate) enum Buffer {
    Heap(Vec<u8>),
    Mapped {
        map: Option<memmap2::MmapMut>,
        len: usize,
    },
}

impl Buffer {
    /// `len` bytes to be written before they are read: their contents are unspecified (zeros, or what an earlier
    /// buffer of this thread held). Every caller reads only what it wrote.
    pub(crate) fn scratch(len: usize) -> Buffer {
        if len >= MAPPED {
            let pooled = POOL.with_borrow_mut(|pool| {
                let best = pool
                    .iter()
                    .enumerate()
                    .filter(|(_, map)| map.len() >= len)
                    .min_by_key(|(_, map)| map.len())
                    .map(|(index, _)| index)?;
                Some(pool.swap_remove(best))
            });
            let map = pooled.or_else(|| {
                let map = memmap2::MmapMut::map_anon(len.checked_next_power_of_two()?).ok()?;
                // Advice only: without THP support the pages are ordinary ones.
                let _ = map.advise(memmap2::Advice::HugePage);
                Some(map)
            });
            if let Some(map) = map {
                return Buffer::Mapped { map: Some(map), len };
            }
        }
        Buffer::Heap(vec![0_u8; len])
    }

    /// Frees the buffer now instead of keeping it for a later case: for readers whose buffers outlive their use
    /// only as a cost (a whole-volume reader converts the words and drops them; pooled, their pages would stay
    /// resident while the case holds its converted volumes).
    pub(crate) fn release(mut self) {
        if let Buffer::Mapped { map, .. } = &mut self {
            drop(map.take());
        }
    }

    /// Keeps the first `len` bytes (as `Vec::truncate`).
    pub(crate) fn truncate(&mut self, len: usize) {
        match self {
            Buffer::Heap(vec) => vec.truncate(len),
            Buffer::Mapped { len: used, .. } => *used = len.min(*used),
        }
    }

    /// Removes the first `n` bytes (as `Vec::drain(..n)`).
    pub(crate) fn remove_front(&mut self, n: usize) {
        match self {
            Buffer::Heap(vec) => {
                vec.drain(..n.min(vec.len()));
            }
            Buffer::Mapped { map, len } => {
                let n = n.min(*len);
                if let Some(map) = map {
                    map.copy_within(n..*len, 0);
                }
                *len -= n;
            }
        }
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if let Buffer::Mapped { map, .. } = self
            && let Some(map) = map.take()
        {
            // `try_with`: a buffer dropped while the thread's locals are torn down is unmapped instead.
            let _ = POOL.try_with(|pool| {
                let mut pool = pool.borrow_mut();
                pool.push(map);
                if pool.len() > KEPT
                    && let Some((smallest, _)) = pool.iter().enumerate().min_by_key(|(_, m)| m.len())
                {
                    pool.swap_remove(smallest);
                }
            });
        }
    }
}

impl Deref for Buffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Buffer::Heap(vec) => vec,
            Buffer::Mapped { map, len } => map.as_deref().map_or(&[], |m| &m[..*len]),
        }
    }
}

impl DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Buffer::Heap(vec) => vec,
            Buffer::Mapped { map, len } => map.as_deref_mut().map_or(&mut [], |m| &mut m[..*len]),
        }
    }
}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Buffer({} bytes)", self.len())
    }
}

impl Clone for Buffer {
    fn clone(&self) -> Buffer {
        let mut copy = Buffer::scratch(self.len());
        copy.copy_from_slice(self);
        copy
    }
}

/// The whole content of a file (as `std::fs::read`), a large one in a pooled buffer.
///
/// # Errors
/// As `std::fs::read`.
pub(crate) fn read_file(path: &std::path::Path) -> std::io::Result<Buffer> {
    let mut file = std::fs::File::open(path)?;
    let size = file
        .metadata()
        .ok()
        .and_then(|m| usize::try_from(m.len()).ok())
        .unwrap_or(0);
    if size < MAPPED {
        let mut out = Vec::with_capacity(size);
        file.read_to_end(&mut out)?;
        return Ok(Buffer::Heap(out));
    }
    // One byte more than the size, so that the end of a file that has not grown is seen without another buffer.
    let mut out = Buffer::scratch(size + 1);
    let mut filled = 0;
    while filled < out.len() {
        match file.read(&mut out[filled..]) {
            Ok(0) => {
                out.truncate(filled);
                return Ok(out);
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // The file grew since its size was read: read the rest into a growing vector.
    let mut grown = out.to_vec();
    file.read_to_end(&mut grown)?;
    Ok(Buffer::Heap(grown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_and_heap_buffers_behave_as_vectors() {
        for len in [10, MAPPED + 3] {
            let mut buffer = Buffer::scratch(len);
            assert_eq!(buffer.len(), len);
            assert_eq!(matches!(buffer, Buffer::Mapped { .. }), len >= MAPPED);
            for (i, byte) in buffer.iter_mut().enumerate() {
                *byte = (i % 251) as u8;
            }
            let expected: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            assert_eq!(&buffer.clone()[..], &expected[..]);
            buffer.truncate(len - 2);
            buffer.remove_front(3);
            assert_eq!(&buffer[..], &expected[3..len - 2]);
        }
    }

    #[test]
    fn mappings_are_reused() {
        // Whatever an earlier test on this thread left.
        POOL.with_borrow_mut(Vec::clear);
        let first = Buffer::scratch(MAPPED + 1);
        let address = first.as_ptr();
        drop(first);
        // A slightly larger buffer fits the power-of-two mapping of the first.
        let second = Buffer::scratch(MAPPED + 1000);
        assert_eq!(second.as_ptr(), address);
        assert_eq!(second.len(), MAPPED + 1000);
        // A released buffer is not pooled.
        second.release();
        assert_eq!(POOL.with_borrow(Vec::len), 0);
        let held: Vec<Buffer> = (0..KEPT + 2).map(|_| Buffer::scratch(MAPPED)).collect();
        drop(held);
        assert!(POOL.with_borrow(Vec::len) <= KEPT);
    }

    #[test]
    fn read_file_reads_what_std_reads() {
        let dir = std::env::temp_dir().join(format!("mmrad-scratch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for size in [0_usize, 10, MAPPED - 1, MAPPED, MAPPED + 12_345] {
            let path = dir.join(format!("f{size}"));
            let content: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
            std::fs::write(&path, &content).unwrap();
            assert_eq!(&read_file(&path).unwrap()[..], &content[..], "{size}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
