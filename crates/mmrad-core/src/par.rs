//! `Par`: how many threads a computation may use, passed explicitly.

/// Parallelism for one call. Results never depend on it: parallel work is collected in input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Par {
    /// Run on the calling thread.
    #[default]
    Seq,
    /// Use the current rayon pool (created by `mmrad-study` with the requested thread count).
    Rayon,
}
