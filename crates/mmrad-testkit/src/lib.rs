//! mmrad-testkit: test support (shared data lookup, tolerance assertions).
