//! The read limit on a whole DICOM series: every file fits, the folder together does not; refused before any file is
//! decoded (own test binary, because the limit override is process-wide).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use mmrad_io::dicom::read_dicom_series;
use mmrad_io::{Error, ReadLimits};
use mmrad_testkit::shared;

#[test]
fn a_series_larger_than_the_limit_is_refused_and_one_below_is_read() {
    let dir = std::env::temp_dir().join(format!("mmrad-read-limits-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Three 64 × 64 slices: 3 × 32 KiB as 8-byte voxels.
    for k in 0..3 {
        let mut obj = dicom_object::open_file(shared("pydicom/MR_small.dcm")).unwrap();
        obj.put(DataElement::new(
            tags::IMAGE_POSITION_PATIENT,
            VR::DS,
            PrimitiveValue::from(format!("0\\0\\{}", 5 * k)),
        ));
        obj.put(DataElement::new(
            tags::SOP_INSTANCE_UID,
            VR::UI,
            PrimitiveValue::from(format!("1.2.3.{k}")),
        ));
        obj.write_to_file(dir.join(format!("{k}.dcm"))).unwrap();
    }
    ReadLimits::set_override(Some(3 * 32 * 1024));
    assert_eq!(read_dicom_series(&dir).unwrap().size_xyz(), [64, 64, 3]);
    ReadLimits::set_override(Some(3 * 32 * 1024 - 1));
    let err = read_dicom_series(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                declared: 98_304,
                limit: 98_303,
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("over the series") && text.contains("MMRAD_MAX_IMAGE_BYTES"),
        "{text}"
    );
    ReadLimits::set_override(None);
    std::fs::remove_dir_all(&dir).unwrap();
}
