//! DICOM series, multi-frame and 2D reading: the IBSI CT phantom series against the NIfTI version of the same phantom,
//! multi-frame MR across transfer syntaxes, MONOCHROME1 and colour rules, and the bad-input errors (several series,
//! missing slice, duplicate slice, truncated file, non-DICOM file, unsupported transfer syntax).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use mmrad_io::Error;
use mmrad_io::dicom::{
    ColourRule, DicomReadOptions, PixelSpacingSource, SliceSpacingSource, dicom_info, read_dicom,
    read_dicom_series, series_key,
};
use mmrad_testkit::{shared, workspace_root};

fn ct_series_dir() -> PathBuf {
    shared("ibsi/ibsi_1_ct_radiomics_phantom/dicom/image")
}

fn pydicom(file: &str) -> PathBuf {
    shared(&format!("pydicom/{file}"))
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mmrad-dicom-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies the CT series files whose index passes `keep` into `dir`.
fn copy_series(dir: &Path, keep: impl Fn(usize) -> bool) {
    for k in 0..60 {
        if keep(k) {
            let name = format!("DCM_IMG_{k:05}.dcm");
            std::fs::copy(ct_series_dir().join(&name), dir.join(&name)).unwrap();
        }
    }
}

#[test]
fn ibsi_ct_series_equals_the_nifti_phantom_voxel_for_voxel() {
    let image = read_dicom(&ct_series_dir(), &DicomReadOptions::default()).unwrap();
    let nifti = mmrad_io::read_image(&shared(
        "ibsi/ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz",
    ))
    .unwrap();
    let volume = &image.volume;
    assert_eq!(volume.size_xyz(), nifti.size_xyz());
    assert_eq!(volume.size_xyz(), [204, 201, 60]);
    // Voxel values after rescale (HU): exact integers on both sides.
    let worst = volume
        .data
        .iter()
        .zip(nifti.data.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert_eq!(worst, 0.0);
    // Geometry within 1e-4 mm (the NIfTI stores float32 geometry).
    let g = &volume.geometry;
    let h = &nifti.geometry;
    for k in 0..3 {
        assert!(
            (g.spacing[k] - h.spacing[k]).abs() < 1e-4,
            "spacing {k}: {:?} vs {:?}",
            g.spacing,
            h.spacing
        );
        assert!(
            (g.origin[k] - h.origin[k]).abs() < 1e-4,
            "origin {k}: {:?} vs {:?}",
            g.origin,
            h.origin
        );
    }
    for k in 0..9 {
        assert!(
            (g.direction[k] - h.direction[k]).abs() < 1e-6,
            "direction: {:?} vs {:?}",
            g.direction,
            h.direction
        );
    }
    assert_eq!(image.slice_spacing, SliceSpacingSource::ImagePositions);
    assert_eq!(image.pixel_spacing, PixelSpacingSource::PixelSpacing);
    assert_eq!(image.n_files, 60);
    assert_eq!(image.modality.as_deref(), Some("CT"));
    // The same series as the plain entry point.
    assert_eq!(read_dicom_series(&ct_series_dir()).unwrap(), image.volume);
}

#[test]
fn slice_order_does_not_depend_on_file_names() {
    let dir = scratch("renamed");
    for k in 0..60 {
        // Reverse the name order: slice k becomes file 59 - k.
        std::fs::copy(
            ct_series_dir().join(format!("DCM_IMG_{k:05}.dcm")),
            dir.join(format!("x{:02}.dcm", 59 - k)),
        )
        .unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "not dicom").unwrap();
    let renamed = read_dicom(&dir, &DicomReadOptions::default()).unwrap();
    let original = read_dicom_series(&ct_series_dir()).unwrap();
    assert_eq!(renamed.volume, original);
    assert_eq!(renamed.skipped.len(), 1);
    assert!(renamed.skipped[0].0.ends_with("notes.txt"));
}

#[test]
fn missing_slice_is_an_error_naming_the_gap() {
    let dir = scratch("missing");
    copy_series(&dir, |k| k != 30);
    let err = read_dicom_series(&dir).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::DicomGeometry { .. }), "{message}");
    assert!(
        message.contains("missing slice") && message.contains("6.0000 mm"),
        "{message}"
    );
    assert!(
        message.contains("DCM_IMG_00029.dcm") || message.contains("DCM_IMG_00031.dcm"),
        "{message}"
    );
}

#[test]
fn duplicate_slice_position_is_an_error() {
    let dir = scratch("duplicate");
    copy_series(&dir, |_| true);
    std::fs::copy(
        ct_series_dir().join("DCM_IMG_00010.dcm"),
        dir.join("copy_of_10.dcm"),
    )
    .unwrap();
    let message = read_dicom_series(&dir).unwrap_err().to_string();
    assert!(message.contains("duplicate slice position"), "{message}");
}

#[test]
fn several_series_are_listed_and_one_can_be_chosen() {
    let dir = scratch("mixed");
    copy_series(&dir, |_| true);
    std::fs::copy(pydicom("MR_small.dcm"), dir.join("mr.dcm")).unwrap();
    let err = read_dicom_series(&dir).unwrap_err();
    let Error::DicomSeveralSeries { count, uids, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*count, 2);
    let ct_uid = dicom_info(&ct_series_dir().join("DCM_IMG_00000.dcm"))
        .unwrap()
        .series_uid
        .unwrap();
    // Series are listed by key, never by UID (UIDs embed dates).
    let ct_key = series_key(&ct_uid);
    assert!(
        uids.contains(&ct_key) && !uids.contains(&ct_uid) && uids.contains("60 files") && uids.contains("MR"),
        "{uids}"
    );
    // A series is chosen by its key or its UID.
    let expected = read_dicom_series(&ct_series_dir()).unwrap();
    for wanted in [ct_key, ct_uid] {
        let options = DicomReadOptions {
            series_uid: Some(wanted),
            ..DicomReadOptions::default()
        };
        let chosen = read_dicom(&dir, &options).unwrap();
        assert_eq!(chosen.volume, expected);
    }
    let options = DicomReadOptions {
        series_uid: Some("1.2.3".into()),
        ..DicomReadOptions::default()
    };
    assert!(matches!(
        read_dicom(&dir, &options),
        Err(Error::DicomSeveralSeries { .. })
    ));
}

#[test]
fn truncated_file_is_an_error_naming_the_file() {
    let dir = scratch("truncated");
    copy_series(&dir, |k| k != 5);
    let bytes = std::fs::read(ct_series_dir().join("DCM_IMG_00005.dcm")).unwrap();
    std::fs::write(dir.join("DCM_IMG_00005.dcm"), &bytes[..bytes.len() / 2]).unwrap();
    let message = read_dicom_series(&dir).unwrap_err().to_string();
    assert!(message.contains("DCM_IMG_00005.dcm"), "{message}");
}

#[test]
fn unsupported_transfer_syntax_names_uid_and_name() {
    // A JPEG-LS file relabelled as MPEG2 (a video syntax mmrad does not decode): the error names the UID, the
    // syntax and the file, from `read_dicom` and from `dicom_info`.
    let dir = scratch("mpeg2");
    let bytes = std::fs::read(pydicom("MR_small_jpeg_ls_lossless.dcm")).unwrap();
    let path = dir.join("relabelled.dcm");
    std::fs::write(&path, with_transfer_syntax(&bytes, "1.2.840.10008.1.2.4.100")).unwrap();
    let err = read_dicom_series(&path).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::DicomTransferSyntax { .. }), "{message}");
    assert!(message.contains("1.2.840.10008.1.2.4.100"), "{message}");
    assert!(message.contains("MPEG2 Main Profile / Main Level"), "{message}");
    assert!(message.contains("relabelled.dcm"), "{message}");
    let summary = dicom_info(&path).unwrap();
    assert_eq!(summary.transfer_syntax_uid, "1.2.840.10008.1.2.4.100");
    let message = summary.decode.unwrap_err();
    assert!(message.contains("1.2.840.10008.1.2.4.100"), "{message}");
    // A UID that names no transfer syntax at all: still an error naming it, never a panic.
    let path = dir.join("made-up.dcm");
    std::fs::write(&path, with_transfer_syntax(&bytes, "1.2.3.4.5.6.7")).unwrap();
    let message = read_dicom_series(&path).unwrap_err().to_string();
    assert!(
        message.contains("1.2.3.4.5.6.7") && message.contains("made-up.dcm"),
        "{message}"
    );
}

#[test]
fn jpeg_ls_decodes_to_the_uncompressed_values() {
    // The JPEG-LS lossless copies of MR_small and emri_small read as the same volumes as the uncompressed files.
    for (plain, jpeg_ls) in [
        ("MR_small.dcm", "MR_small_jpeg_ls_lossless.dcm"),
        ("emri_small.dcm", "emri_small_jpeg_ls_lossless.dcm"),
    ] {
        let a = read_dicom_series(&pydicom(plain)).unwrap();
        let b = read_dicom_series(&pydicom(jpeg_ls)).unwrap();
        assert_eq!(a, b, "{jpeg_ls}");
    }
}

#[test]
fn file_without_pixel_data_is_an_error() {
    let rtstruct = shared("ibsi/ibsi_1_ct_radiomics_phantom/dicom/mask/DCM_RS_00060.dcm");
    let message = read_dicom_series(&rtstruct).unwrap_err().to_string();
    assert!(message.contains("no Pixel Data"), "{message}");
}

#[test]
fn non_dicom_file_is_an_error_when_named_directly() {
    let dir = scratch("text");
    let path = dir.join("a.dcm");
    std::fs::write(&path, "hello").unwrap();
    let message = read_dicom_series(&path).unwrap_err().to_string();
    assert!(message.contains("a.dcm"), "{message}");
}

#[test]
fn multi_frame_mr_reads_the_same_in_every_decodable_syntax() {
    let reference = read_dicom(&pydicom("emri_small.dcm"), &DicomReadOptions::default()).unwrap();
    assert_eq!(reference.volume.size_xyz(), [64, 64, 10]);
    // pydicom: sum of the stored values is 4493276; the frames carry no rescale other than identity.
    assert_eq!(reference.volume.data.sum(), 4_493_276.0);
    assert!(
        reference.volume.geometry.spacing.iter().all(|&s| s > 0.0),
        "{:?}",
        reference.volume.geometry
    );
    for file in [
        "emri_small_RLE.dcm",
        "emri_small_big_endian.dcm",
        "emri_small_jpeg_2k_lossless.dcm",
    ] {
        let other = read_dicom(&pydicom(file), &DicomReadOptions::default()).unwrap();
        assert_eq!(other.volume, reference.volume, "{file}");
    }
}

#[test]
fn monochrome1_is_inverted_over_the_stored_range() {
    // RG3_J2KR: CR, MONOCHROME1, 10 bits stored, pydicom stored range [0, 1023] → inverted range [0, 1023].
    let image = read_dicom(&pydicom("RG3_J2KR.dcm"), &DicomReadOptions::default()).unwrap();
    assert!(image.inverted_monochrome1);
    let summary = dicom_info(&pydicom("RG3_J2KR.dcm")).unwrap();
    let decoded = summary.decode.unwrap();
    let slope = summary.rescale_slope.unwrap_or(1.0);
    let intercept = summary.rescale_intercept.unwrap_or(0.0);
    let n = image.volume.data.len() as f64;
    // sum(1023 − v) · slope + n · intercept, with sum(v) from pydicom (1030616989).
    let expected = (1023.0 * n - 1_030_616_989.0) * slope + n * intercept;
    assert_eq!(decoded.sum, 1_030_616_989.0);
    assert!(
        (image.volume.data.sum() - expected).abs() < 1e-6,
        "{} vs {expected}",
        image.volume.data.sum()
    );
    assert_eq!(image.volume.size_xyz(), [1760, 1760, 1]);
}

#[test]
fn two_d_spacing_source_is_recorded() {
    // RG1_J2KR (CR) has PixelSpacing 0\\0 (pydicom reference) and no ImagerPixelSpacing: 1 mm is assumed and said.
    let image = read_dicom(&pydicom("RG1_J2KR.dcm"), &DicomReadOptions::default()).unwrap();
    let summary = dicom_info(&pydicom("RG1_J2KR.dcm")).unwrap();
    assert_eq!(summary.pixel_spacing, Some([0.0, 0.0]));
    assert_eq!(summary.imager_pixel_spacing, None);
    assert_eq!(image.pixel_spacing, PixelSpacingSource::Assumed);
    assert_eq!(image.volume.geometry.spacing[..2], [1.0, 1.0]);
    // CT_small: PixelSpacing.
    let ct = read_dicom(&pydicom("CT_small.dcm"), &DicomReadOptions::default()).unwrap();
    assert_eq!(ct.pixel_spacing, PixelSpacingSource::PixelSpacing);
}

/// `tests/reference/io/us_regions.json`: pydicom's reading of the Sequence of Ultrasound Regions.
fn us_regions_reference() -> serde_json::Value {
    let path = workspace_root().join("tests/reference/io/us_regions.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn ultrasound_spacing_comes_from_the_regions_in_mm() {
    // Reference: pydicom's PhysicalDeltaX/Y of the first region in centimetres (code 3), × 10. Tolerance 1e-12 mm
    // (the same DS/FD value parsed by both readers, one multiplication).
    let reference = us_regions_reference();
    let mut n_with_regions = 0;
    for (rel, entry) in reference["files"].as_object().unwrap() {
        let path = shared(rel);
        assert_eq!(entry["has_pixel_spacing"], false, "{rel}");
        let image = read_dicom(&path, &DicomReadOptions::default()).unwrap();
        match entry["spacing_mm"].as_array() {
            Some(spacing) => {
                let row = spacing[0].as_f64().unwrap();
                let column = spacing[1].as_f64().unwrap();
                assert_eq!(image.pixel_spacing, PixelSpacingSource::UltrasoundRegion, "{rel}");
                let g = &image.volume.geometry;
                // Geometry spacing is (x = column spacing, y = row spacing).
                assert!((g.spacing[0] - column).abs() < 1e-12, "{rel}: {:?}", g.spacing);
                assert!((g.spacing[1] - row).abs() < 1e-12, "{rel}: {:?}", g.spacing);
                n_with_regions += 1;
                assert_eq!(image.volume.geometry.spacing[2], 1.0, "{rel}");
            }
            // No region: 1 mm assumed, and said so.
            None => {
                assert_eq!(image.pixel_spacing, PixelSpacingSource::Assumed, "{rel}");
                assert_eq!(image.volume.geometry.spacing[..2], [1.0, 1.0], "{rel}");
            }
        }
    }
    assert_eq!(n_with_regions, 1);
}

#[test]
fn segmented_palette_is_expanded_as_pydicom_does() {
    // gdcm-US-ALOKA-16: 16-bit PALETTE COLOR with segmented lookup tables. pydicom's `apply_color_lut` channel sums
    // give the expected grey sum 0.30 ΣR + 0.59 ΣG + 0.11 ΣB (ITK luminance). Tolerance 1e-9 relative (f64 sums of
    // 307200 weighted integers).
    let reference = us_regions_reference();
    let entry = &reference["files"]["pydicom/gdcm-US-ALOKA-16.dcm"];
    let sums: Vec<f64> = entry["rgb_sums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let [wr, wg, wb] = ColourRule::ItkLuminance.weights();
    let expected = wr * sums[0] + wg * sums[1] + wb * sums[2];
    let image = read_dicom(&pydicom("gdcm-US-ALOKA-16.dcm"), &DicomReadOptions::default()).unwrap();
    assert_eq!(image.colour_rule, Some(ColourRule::ItkLuminance));
    let got = image.volume.data.sum();
    assert!((got - expected).abs() <= 1e-9 * expected, "{got} vs {expected}");
}

#[test]
fn indirect_segmented_palette_is_expanded_as_pydicom_does() {
    // tests/reference/io/palette_indirect.py: an 8 × 8 PALETTE COLOR image whose 16-bit segmented tables hold
    // discrete, linear and indirect segments (offset 0), written and decoded by pydicom (`apply_color_lut`). The
    // grey value of each pixel is the colour rule applied to pydicom's RGB, exactly (same products and sums in the
    // same order); numpy's grey values are checked too, to 1e-12 relative, because serde_json's default float
    // parsing may miss the last bit.
    let path = workspace_root().join("tests/reference/io/palette_indirect.json");
    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let numbers = |key: &str| -> Vec<f64> {
        reference[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let [wr, wg, wb] = ColourRule::ItkLuminance.weights();
    let expected: Vec<f64> = numbers("rgb")
        .chunks_exact(3)
        .map(|c| wr * c[0] + wg * c[1] + wb * c[2])
        .collect();
    let file = workspace_root().join(reference["file"].as_str().unwrap());
    let image = read_dicom(&file, &DicomReadOptions::default()).unwrap();
    assert_eq!(image.colour_rule, Some(ColourRule::ItkLuminance));
    assert_eq!(image.volume.size_xyz(), [8, 8, 1]);
    let got: Vec<f64> = image.volume.data.iter().copied().collect();
    assert_eq!(got, expected);
    for (g, numpy) in got.iter().zip(numbers("grey")) {
        assert!((g - numpy).abs() <= 1e-12 * numpy.abs(), "{g} vs {numpy}");
    }
}

#[test]
fn ultrasound_cine_needs_a_frame() {
    // A multi-frame US file: emri_small (10 frames) with Modality rewritten to `US` (same length, so no length
    // fields change). Without `frame` it is an error naming the frame count and the option; with it, a 2D image.
    let dir = scratch("cine");
    let mut bytes = std::fs::read(pydicom("emri_small.dcm")).unwrap();
    let modality = find(&bytes, b"\x08\x00\x60\x00CS\x02\x00MR").expect("Modality (0008,0060) = MR");
    bytes[modality + 8..modality + 10].copy_from_slice(b"US");
    let path = dir.join("cine.dcm");
    std::fs::write(&path, &bytes).unwrap();
    let message = read_dicom_series(&path).unwrap_err().to_string();
    assert!(
        message.contains("cine") && message.contains("10 frames") && message.contains("cine.dcm"),
        "{message}"
    );
    let options = DicomReadOptions {
        frame: Some(2),
        ..DicomReadOptions::default()
    };
    let image = read_dicom(&path, &options).unwrap();
    assert_eq!(image.modality.as_deref(), Some("US"));
    assert_eq!(image.volume.size_xyz(), [64, 64, 1]);
}

/// Position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Rewrites the TransferSyntaxUID (0002,0010) of an explicit-VR file meta group to `uid`, fixing the element
/// length and the group length (0002,0000).
fn with_transfer_syntax(bytes: &[u8], uid: &str) -> Vec<u8> {
    let element = find(bytes, b"\x02\x00\x10\x00UI").expect("TransferSyntaxUID element");
    let old_len = usize::from(u16::from_le_bytes([bytes[element + 6], bytes[element + 7]]));
    let mut value = uid.as_bytes().to_vec();
    if value.len() % 2 == 1 {
        value.push(0);
    }
    let mut out = bytes[..element + 6].to_vec();
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(&value);
    out.extend_from_slice(&bytes[element + 8 + old_len..]);
    let group = find(&out, b"\x02\x00\x00\x00UL\x04\x00").expect("FileMetaInformationGroupLength");
    let length = u32::from_le_bytes(out[group + 8..group + 12].try_into().unwrap());
    let length = (i64::from(length) + value.len() as i64 - old_len as i64) as u32;
    out[group + 8..group + 12].copy_from_slice(&length.to_le_bytes());
    out
}

#[test]
fn palette_colour_becomes_grey_through_its_lookup_table() {
    let plain = read_dicom(&pydicom("OBXXXX1A.dcm"), &DicomReadOptions::default()).unwrap();
    let rle = read_dicom(&pydicom("OBXXXX1A_rle.dcm"), &DicomReadOptions::default()).unwrap();
    assert_eq!(plain.volume, rle.volume);
    assert_eq!(plain.colour_rule, Some(ColourRule::ItkLuminance));
    assert_eq!(plain.volume.size_xyz(), [800, 600, 1]);
}

#[test]
fn rgb_becomes_luminance_by_the_chosen_rule() {
    let itk = read_dicom(&pydicom("US1_UNCR.dcm"), &DicomReadOptions::default()).unwrap();
    assert_eq!(itk.colour_rule, Some(ColourRule::ItkLuminance));
    assert_eq!(itk.volume.size_xyz(), [640, 480, 1]);
    // The J2K lossless (YBR_RCT) file decodes to the same RGB, hence the same grey image (tolerance 1e-9: same
    // arithmetic on the same integers).
    let j2k = read_dicom(&pydicom("US1_J2KR.dcm"), &DicomReadOptions::default()).unwrap();
    let worst = itk
        .volume
        .data
        .iter()
        .zip(j2k.volume.data.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-9, "{worst}");
    // Weights sum to 1 for both rules, so grey stays within [0, 255]; the two rules differ by at most
    // 0.011 · 255 per voxel.
    let options = DicomReadOptions {
        colour: ColourRule::Bt601,
        ..DicomReadOptions::default()
    };
    let bt601 = read_dicom(&pydicom("US1_UNCR.dcm"), &options).unwrap();
    let diff = itk
        .volume
        .data
        .iter()
        .zip(bt601.volume.data.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(diff <= 0.011 * 255.0 + 1e-9, "{diff}");
    assert!(bt601.volume.data.iter().all(|&v| (0.0..=255.0).contains(&v)));
}

#[test]
fn single_frame_of_a_multi_frame_file_can_be_chosen() {
    let all = read_dicom_series(&pydicom("emri_small.dcm")).unwrap();
    let options = DicomReadOptions {
        frame: Some(3),
        ..DicomReadOptions::default()
    };
    let one = read_dicom(&pydicom("emri_small.dcm"), &options).unwrap();
    assert_eq!(one.volume.size_xyz(), [64, 64, 1]);
    let options = DicomReadOptions {
        frame: Some(10),
        ..DicomReadOptions::default()
    };
    assert!(read_dicom(&pydicom("emri_small.dcm"), &options).is_err());
    // The chosen frame is one of the volume's slices.
    let frame = one.volume.data.index_axis(ndarray::Axis(0), 0).to_owned();
    let found = (0..10).any(|z| all.data.index_axis(ndarray::Axis(0), z) == frame);
    assert!(found);
}

#[test]
fn read_image_dispatches_folders_and_dicom_files() {
    // A series folder, a `.dcm` file and a DICOM file without extension (found by `DICM` at byte 128).
    let series = read_dicom_series(&ct_series_dir()).unwrap();
    assert_eq!(mmrad_io::read_image(&ct_series_dir()).unwrap(), series);
    let mr = read_dicom_series(&pydicom("MR_small.dcm")).unwrap();
    assert_eq!(mmrad_io::read_image(&pydicom("MR_small.dcm")).unwrap(), mr);
    let dir = scratch("dispatch");
    let bare = dir.join("IM0001");
    std::fs::copy(pydicom("MR_small.dcm"), &bare).unwrap();
    assert_eq!(mmrad_io::read_image(&bare).unwrap(), mr);
    // Neither extension nor marker: the error lists the accepted formats.
    let text = dir.join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let err = mmrad_io::read_image(&text).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::UnknownFormat { .. }), "{message}");
    for accepted in [".nrrd", ".nii.gz", ".dcm", "DICM", "DICOM series folder"] {
        assert!(message.contains(accepted), "{message}");
    }
    // A DICOM file is not a label map: the error says where SEG and RTSTRUCT go.
    let message = mmrad_io::read_label_map(&bare).unwrap_err().to_string();
    assert!(
        message.contains("label map") && message.contains("SEG"),
        "{message}"
    );
}
