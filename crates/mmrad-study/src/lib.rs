//! mmrad-study: runs a Plan end to end and writes its outputs.
