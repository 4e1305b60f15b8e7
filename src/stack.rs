//! Stack for recursion over nested input. Parsing and checking recurse
//! once per nesting level of an expression, and the nesting limits
//! (`MAX_NESTING`, `MAX_EXPR_DEPTH`) bound how deep; a recursion point
//! calls [`deep`], which runs on the caller's stack while enough of it is
//! left and on a fresh segment otherwise. So a policy loads on any thread
//! (a 2 MiB worker, a debug build) without a thread of its own per call.

/// Stack that must be left before a recursion step runs in place.
const RED_ZONE: usize = 128 * 1024;
/// Size of a segment taken when less is left.
const SEGMENT: usize = 4 * 1024 * 1024;

/// Runs `f` on the current stack if at least [`RED_ZONE`] of it is left,
/// otherwise on a new segment of [`SEGMENT`] bytes.
#[inline]
pub(crate) fn deep<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}

/// Like [`deep`], for a step that needs up to `need` bytes at once (the
/// pest parser, bounded by the nesting limit).
pub(crate) fn with_at_least<R>(need: usize, f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(need, need.saturating_mul(2).max(SEGMENT), f)
}
