//! contain: runs third-party code that may panic on corrupt input, turning the panic into an `Err` with no message
//! on stderr.
//!
//! Several readers mmrad builds on (dicom-rs' RLE decoder, the `nifti` crate, polars' Parquet reader) panic on some
//! damaged files instead of returning an error. Their callers turn such a panic into an error naming the file; the
//! panic hook installed here keeps the standard "thread … panicked at" report off stderr while a contained call runs,
//! so the user sees one clean `error:` message. Any other panic prints as usual.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A contained call panicked; the panic's message is dropped on purpose (it may quote file content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Panicked;

thread_local! {
    /// Contained calls in progress on this thread.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Contained calls in progress whose code may panic on threads it spawns (polars' worker pool), where a
/// thread-local flag does not reach.
static ANY_THREAD: AtomicUsize = AtomicUsize::new(0);

fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = DEPTH.with(Cell::get) > 0 || ANY_THREAD.load(Ordering::SeqCst) > 0;
            if !quiet {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, which may panic on corrupt input, on this thread; a panic becomes `Err(Panicked)`.
pub fn contain<T>(f: impl FnOnce() -> T) -> Result<T, Panicked> {
    install_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    result.map_err(|_| Panicked)
}

/// As [`contain`], for code that may panic on worker threads of its own. While such a call runs, panic messages of
/// every thread are silenced: a genuine panic elsewhere in that window still fails its thread, but prints nothing.
pub fn contain_all_threads<T>(f: impl FnOnce() -> T) -> Result<T, Panicked> {
    install_hook();
    ANY_THREAD.fetch_add(1, Ordering::SeqCst);
    let result = catch_unwind(AssertUnwindSafe(f));
    ANY_THREAD.fetch_sub(1, Ordering::SeqCst);
    result.map_err(|_| Panicked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::panic)]
    fn a_panic_becomes_an_error_and_a_value_passes_through() {
        assert_eq!(contain(|| 7), Ok(7));
        assert_eq!(contain(|| -> i32 { panic!("corrupt") }), Err(Panicked));
        assert_eq!(
            contain_all_threads(|| -> i32 { panic!("corrupt") }),
            Err(Panicked)
        );
        // The depth is restored after a panic, so later panics on this thread are reported again.
        assert_eq!(DEPTH.with(Cell::get), 0);
        assert_eq!(ANY_THREAD.load(Ordering::SeqCst), 0);
    }
}
