//! mmrad-image: pure operations on volumes and label maps (cropping, resampling, normalisation, filters); no file IO.
