//! mmrad-synth: deterministic synthetic cohorts.
