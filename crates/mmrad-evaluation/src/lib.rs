//! mmrad-evaluation: metrics computed from (scores, outcomes) only.
