//! mmrad-selection: feature selectors fitted on training folds only.
