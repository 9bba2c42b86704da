//! IBSI mode's `featureClass` selection: PyRadiomics class names and IBSI family tags mapped to IBSI families and
//! feature tags.
//!
//! A `featureClass` key names either a PyRadiomics class, mapped to the IBSI families that hold its features, or an
//! IBSI family by its tag:
//!
//! | key | IBSI families |
//! |---|---|
//! | `shape`, `shape2D` | `morph` (morphology) |
//! | `firstorder` | `stat` (intensity statistics), `ih` (intensity histogram), `ivh` (intensity-volume histogram) |
//! | `glcm` | `cm` |
//! | `glrlm` | `rlm` |
//! | `glszm` | `szm` |
//! | `gldm` | `ngl` (PyRadiomics' GLDM is IBSI's NGLDM) |
//! | `ngtdm` | `ngt` |
//! | `morph`, `loc`, `stat`, `ih`, `ivh`, `cm`, `rlm`, `szm`, `dzm`, `ngt`, `ngl` | that family |
//!
//! `firstorder` takes all three first-order families because PyRadiomics' first-order class mixes them: its
//! `Entropy` and `Uniformity` are IBSI intensity-histogram features (on the discretised levels), the rest intensity
//! statistics; the IVH has no PyRadiomics counterpart but is, like them, a statistic of the ROI's intensity
//! distribution without spatial relations. Local intensity peaks (`loc`) and GLDZM (`dzm`) have no PyRadiomics
//! class and are selected by their tags only.
//!
//! A list under a key selects features by their IBSI tag without the family prefix and without aggregation,
//! lower-cased with `.` written `_` (`cm: [joint_max]` keeps `ibsi_cm_joint_max_<aggregation>` for every
//! aggregation; `joint.max` is accepted too). Under a key that maps to several families (`firstorder`), a tag
//! selects it in every one of them that has it (`firstorder: [mean]` keeps `ibsi_stat_mean` and `ibsi_ih_mean`).
//! Several keys naming one family select the union. No `featureClass` block selects every family
//! ([`FeatureClassSelection::all`]); unselected families are not computed; selected ones keep their order.

use crate::extract::FeatureClassSelection;
use crate::{FeatureError, Result};

/// An IBSI feature family, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IbsiFamily {
    Morph,
    Loc,
    Stat,
    Ih,
    Ivh,
    Cm,
    Rlm,
    Szm,
    Dzm,
    Ngt,
    Ngl,
}

/// Texture aggregations of GLCM and GLRLM (suffixes of [`super::AGGREGATIONS`]).
const AVERAGED_AND_MERGED: &[&str] = &["2D_avg", "2D_smrg", "2_5D_dmrg", "2_5D_mrg", "3D_avg", "3D_mrg"];
/// Texture aggregations of GLSZM, GLDZM, NGTDM and NGLDM.
const PER_DIMENSION: &[&str] = &["2D", "2_5D", "3D"];

impl IbsiFamily {
    /// Every family, in output order.
    pub const ALL: [IbsiFamily; 11] = [
        IbsiFamily::Morph,
        IbsiFamily::Loc,
        IbsiFamily::Stat,
        IbsiFamily::Ih,
        IbsiFamily::Ivh,
        IbsiFamily::Cm,
        IbsiFamily::Rlm,
        IbsiFamily::Szm,
        IbsiFamily::Dzm,
        IbsiFamily::Ngt,
        IbsiFamily::Ngl,
    ];

    /// The IBSI family tag (`morph`, `stat`, `cm`, ...), the first part of the column names.
    pub fn tag(self) -> &'static str {
        match self {
            IbsiFamily::Morph => "morph",
            IbsiFamily::Loc => "loc",
            IbsiFamily::Stat => "stat",
            IbsiFamily::Ih => "ih",
            IbsiFamily::Ivh => "ivh",
            IbsiFamily::Cm => "cm",
            IbsiFamily::Rlm => "rlm",
            IbsiFamily::Szm => "szm",
            IbsiFamily::Dzm => "dzm",
            IbsiFamily::Ngt => "ngt",
            IbsiFamily::Ngl => "ngl",
        }
    }

    /// The family's feature tags without the family prefix, in output order, IBSI's spelling (`joint.max`).
    pub fn feature_tags(self) -> &'static [&'static str] {
        match self {
            IbsiFamily::Morph => MORPH_TAGS,
            IbsiFamily::Loc => &["peak.local", "peak.global"],
            IbsiFamily::Stat => STAT_TAGS,
            IbsiFamily::Ih => IH_TAGS,
            IbsiFamily::Ivh => &["v10", "v90", "i10", "i90", "v10minusv90", "i10minusi90"],
            IbsiFamily::Cm => &super::texture::CM_TAGS,
            IbsiFamily::Rlm => &super::texture::RLM_TAGS,
            IbsiFamily::Szm => super::texture::SZM_TAGS,
            IbsiFamily::Dzm => super::texture::DZM_TAGS,
            IbsiFamily::Ngt => &super::texture::NGT_TAGS,
            IbsiFamily::Ngl => super::texture::NGL_TAGS,
        }
    }

    /// Aggregation suffixes of the family's columns, in output order (none for the non-texture families).
    pub fn aggregations(self) -> &'static [&'static str] {
        match self {
            IbsiFamily::Cm | IbsiFamily::Rlm => AVERAGED_AND_MERGED,
            IbsiFamily::Szm | IbsiFamily::Dzm | IbsiFamily::Ngt | IbsiFamily::Ngl => PER_DIMENSION,
            _ => &[],
        }
    }

    /// Whether the family is a texture family (its columns carry an aggregation).
    pub fn is_texture(self) -> bool {
        !self.aggregations().is_empty()
    }

    /// The families a `featureClass` key names: a PyRadiomics class or an IBSI family tag.
    pub fn for_class_name(name: &str) -> Option<&'static [IbsiFamily]> {
        Some(match name {
            "shape" | "shape2D" | "morph" => &[IbsiFamily::Morph],
            "firstorder" => &[IbsiFamily::Stat, IbsiFamily::Ih, IbsiFamily::Ivh],
            "glcm" | "cm" => &[IbsiFamily::Cm],
            "glrlm" | "rlm" => &[IbsiFamily::Rlm],
            "glszm" | "szm" => &[IbsiFamily::Szm],
            "gldm" | "ngl" => &[IbsiFamily::Ngl],
            "ngtdm" | "ngt" => &[IbsiFamily::Ngt],
            "loc" => &[IbsiFamily::Loc],
            "stat" => &[IbsiFamily::Stat],
            "ih" => &[IbsiFamily::Ih],
            "ivh" => &[IbsiFamily::Ivh],
            "dzm" => &[IbsiFamily::Dzm],
            _ => return None,
        })
    }
}

/// Every key IBSI mode accepts under `featureClass`: PyRadiomics' classes, then the IBSI family tags.
pub const CLASS_NAMES: [&str; 19] = [
    "firstorder",
    "shape",
    "shape2D",
    "glcm",
    "glrlm",
    "glszm",
    "gldm",
    "ngtdm",
    "morph",
    "loc",
    "stat",
    "ih",
    "ivh",
    "cm",
    "rlm",
    "szm",
    "dzm",
    "ngt",
    "ngl",
];

const MORPH_TAGS: &[&str] = &[
    "vol",
    "approx.vol",
    "area",
    "av",
    "comp.1",
    "comp.2",
    "sph.dispr",
    "sphericity",
    "asphericity",
    "com",
    "diam",
    "pca.major",
    "pca.minor",
    "pca.least",
    "pca.elongation",
    "pca.flatness",
    "v.dens.aabb",
    "a.dens.aabb",
    "v.dens.aee",
    "a.dens.aee",
    "v.dens.conv.hull",
    "a.dens.conv.hull",
    "integ.int",
    "moran.i",
    "geary.c",
];
const STAT_TAGS: &[&str] = &[
    "mean", "var", "skew", "kurt", "median", "min", "p10", "p90", "max", "iqr", "range", "mad", "rmad",
    "medad", "cov", "qcod", "energy", "rms",
];
const IH_TAGS: &[&str] = &[
    "mean",
    "var",
    "skew",
    "kurt",
    "median",
    "min",
    "p10",
    "p90",
    "max",
    "mode",
    "iqr",
    "range",
    "mad",
    "rmad",
    "medad",
    "cov",
    "qcod",
    "entropy",
    "uniformity",
    "max.grad",
    "max.grad.gl",
    "min.grad",
    "min.grad.gl",
];

/// How much of a family is selected.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pick {
    None,
    All,
    /// These feature tags (IBSI spelling), in the family's order.
    Tags(Vec<&'static str>),
}

/// The IBSI families (and features) to compute, resolved from a [`FeatureClassSelection`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IbsiSelection {
    /// One entry per [`IbsiFamily::ALL`].
    picks: Vec<Pick>,
}

impl IbsiSelection {
    /// Every family, every feature.
    pub fn all() -> IbsiSelection {
        IbsiSelection {
            picks: vec![Pick::All; IbsiFamily::ALL.len()],
        }
    }

    /// The selection IBSI mode reads from `classes`: [`FeatureClassSelection::ibsi`] when set, else every family.
    ///
    /// # Errors
    /// [`FeatureError::UnknownIbsiSelection`] for a key that is neither a PyRadiomics class nor an IBSI family tag,
    /// or a feature tag that none of the key's families has; the error lists the valid names.
    pub fn from_classes(classes: &FeatureClassSelection) -> Result<IbsiSelection> {
        let Some(entries) = &classes.ibsi else {
            return Ok(IbsiSelection::all());
        };
        let mut picks = vec![Pick::None; IbsiFamily::ALL.len()];
        for (key, features) in entries {
            let families =
                IbsiFamily::for_class_name(key).ok_or_else(|| FeatureError::UnknownIbsiSelection {
                    key: key.clone(),
                    feature: None,
                    valid: CLASS_NAMES.join(", "),
                })?;
            if features.is_empty() {
                for family in families {
                    picks[*family as usize] = Pick::All;
                }
                continue;
            }
            for (idx, feature) in features.iter().enumerate() {
                let wanted = feature.to_lowercase().replace('.', "_");
                let mut found = false;
                for &family in families {
                    let Some(&tag) = family
                        .feature_tags()
                        .iter()
                        .find(|t| t.replace('.', "_") == wanted)
                    else {
                        continue;
                    };
                    found = true;
                    let pick = &mut picks[family as usize];
                    match pick {
                        Pick::All => {}
                        Pick::None => *pick = Pick::Tags(vec![tag]),
                        Pick::Tags(tags) if !tags.contains(&tag) => tags.push(tag),
                        Pick::Tags(_) => {}
                    }
                }
                if !found {
                    let valid: Vec<String> = families
                        .iter()
                        .flat_map(|f| f.feature_tags().iter().map(|t| t.replace('.', "_")))
                        .fold(Vec::new(), |mut acc, t| {
                            if !acc.contains(&t) {
                                acc.push(t);
                            }
                            acc
                        });
                    return Err(FeatureError::UnknownIbsiSelection {
                        key: key.clone(),
                        feature: Some((idx, feature.clone())),
                        valid: valid.join(", "),
                    });
                }
            }
        }
        // Tags in the family's output order, whatever the order they were listed in.
        for (pick, family) in picks.iter_mut().zip(IbsiFamily::ALL) {
            if let Pick::Tags(tags) = pick {
                tags.sort_by_key(|t| family.feature_tags().iter().position(|f| f == t));
            }
        }
        Ok(IbsiSelection { picks })
    }

    /// Whether any feature of `family` is selected (the family must be computed).
    pub fn includes(&self, family: IbsiFamily) -> bool {
        self.picks[family as usize] != Pick::None
    }

    /// Whether any of `families` is selected.
    pub fn includes_any(&self, families: &[IbsiFamily]) -> bool {
        families.iter().any(|&f| self.includes(f))
    }

    /// Keeps only the selected columns of `features` (names `ibsi_<family>_<tag>[_<aggregation>]`), in order.
    pub fn retain(&self, features: &mut Vec<(String, f64)>) {
        if self.picks.iter().all(|p| *p == Pick::All) {
            return;
        }
        let keep: Vec<String> = IbsiFamily::ALL
            .iter()
            .zip(&self.picks)
            .flat_map(|(family, pick)| {
                let tags: Vec<&str> = match pick {
                    Pick::None => Vec::new(),
                    Pick::All => family.feature_tags().to_vec(),
                    Pick::Tags(tags) => tags.clone(),
                };
                tags.into_iter().map(move |t| column(*family, t, None))
            })
            .collect();
        features.retain(|(name, _)| {
            keep.iter().any(|k| {
                name.strip_prefix(k.as_str()).is_some_and(|rest| {
                    rest.is_empty()
                        || rest
                            .strip_prefix('_')
                            .is_some_and(|a| super::AGGREGATIONS.iter().any(|(s, _)| *s == a))
                })
            })
        });
    }
}

/// The column name of a family's feature (`ibsi_cm_joint_max_3D_avg`).
pub fn column(family: IbsiFamily, tag: &str, aggregation: Option<&str>) -> String {
    let mut name = format!("ibsi_{}_{}", family.tag(), tag.to_lowercase().replace('.', "_"));
    if let Some(a) = aggregation {
        name.push('_');
        name.push_str(a);
    }
    name
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::ExtractionSettings;
    use mmrad_core::{Geometry, LabelMap, Volume};
    use ndarray::Array3;

    /// A 4 × 5 × 6 ROI of pseudo-random levels inside a 6 × 7 × 8 image.
    fn textured() -> (Volume, LabelMap) {
        let image = Array3::from_shape_fn((6, 7, 8), |(z, y, x)| {
            ((z * 7 + y * 3 + x * 5) % 11) as f64 * 10.0
        });
        let labels = Array3::from_shape_fn((6, 7, 8), |(z, y, x)| {
            i64::from((1..5).contains(&z) && (1..6).contains(&y) && (1..7).contains(&x))
        });
        let geometry = Geometry::with_spacing([1.0, 1.0, 2.0]);
        (
            Volume::new(image, geometry.clone()),
            LabelMap::new(labels, geometry),
        )
    }

    fn settings() -> ExtractionSettings {
        ExtractionSettings {
            ibsi_compliant: true,
            bin_count: Some(8),
            ..ExtractionSettings::default()
        }
    }

    /// `featureClass` keys with their features.
    type Entries<'a> = &'a [(&'a str, &'a [&'a str])];

    /// The extraction of `entries` (IBSI `featureClass` keys with their features).
    fn select(entries: Entries<'_>) -> crate::Result<crate::Extraction> {
        let (image, mask) = textured();
        let classes = FeatureClassSelection::ibsi(
            entries
                .iter()
                .map(|(k, f)| ((*k).to_owned(), f.iter().map(|s| (*s).to_owned()).collect()))
                .collect(),
        );
        crate::extract(&image, &mask, &settings(), &classes)
    }

    #[test]
    fn tag_tables_name_exactly_the_columns_of_a_full_extraction() {
        let (image, mask) = textured();
        let full = crate::extract(&image, &mask, &settings(), &FeatureClassSelection::all()).unwrap();
        let expected: Vec<String> = IbsiFamily::ALL
            .iter()
            .flat_map(|&family| {
                let aggregations: Vec<Option<&str>> = if family.is_texture() {
                    family.aggregations().iter().map(|a| Some(*a)).collect()
                } else {
                    vec![None]
                };
                // Texture columns run tag-wise within an aggregation.
                aggregations.into_iter().flat_map(move |a| {
                    family
                        .feature_tags()
                        .iter()
                        .map(move |tag| column(family, tag, a))
                })
            })
            .collect();
        let names: Vec<&str> = full.features.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn a_selection_gives_exactly_its_columns_with_the_full_values() {
        let (image, mask) = textured();
        let full = crate::extract(&image, &mask, &settings(), &FeatureClassSelection::all()).unwrap();
        let six = |tag: &str| -> Vec<String> {
            AVERAGED_AND_MERGED
                .iter()
                .map(|a| format!("ibsi_cm_{tag}_{a}"))
                .collect()
        };
        let family = |prefix: &str| -> Vec<String> {
            full.features
                .iter()
                .filter(|(n, _)| n.starts_with(prefix))
                .map(|(n, _)| n.clone())
                .collect()
        };
        let cases: Vec<(Entries<'_>, Vec<String>)> = vec![
            (&[("glcm", &[])], family("ibsi_cm_")),
            (&[("cm", &[])], family("ibsi_cm_")),
            (&[("cm", &["joint_max"])], six("joint_max")),
            // Listed out of order and in IBSI's dotted spelling: output order is the family's.
            (&[("cm", &["inv.diff", "joint_max"])], {
                let mut names = Vec::new();
                for a in AVERAGED_AND_MERGED {
                    names.push(format!("ibsi_cm_joint_max_{a}"));
                    names.push(format!("ibsi_cm_inv_diff_{a}"));
                }
                names
            }),
            (
                &[("firstorder", &["mean"]), ("shape", &[])],
                [
                    family("ibsi_morph_"),
                    vec!["ibsi_stat_mean".into(), "ibsi_ih_mean".into()],
                ]
                .concat(),
            ),
            (
                &[("firstorder", &[])],
                [family("ibsi_stat_"), family("ibsi_ih_"), family("ibsi_ivh_")].concat(),
            ),
            (&[("gldm", &[])], family("ibsi_ngl_")),
            (
                &[("ngtdm", &["busyness"])],
                vec![
                    "ibsi_ngt_busyness_2D".into(),
                    "ibsi_ngt_busyness_2_5D".into(),
                    "ibsi_ngt_busyness_3D".into(),
                ],
            ),
            (
                &[("dzm", &["sde"]), ("loc", &[]), ("ivh", &["v10"])],
                [
                    family("ibsi_loc_"),
                    vec!["ibsi_ivh_v10".into()],
                    vec![
                        "ibsi_dzm_sde_2D".into(),
                        "ibsi_dzm_sde_2_5D".into(),
                        "ibsi_dzm_sde_3D".into(),
                    ],
                ]
                .concat(),
            ),
            // Two keys on one family: the union.
            (
                &[("stat", &["max"]), ("firstorder", &["min"])],
                vec![
                    "ibsi_stat_min".into(),
                    "ibsi_stat_max".into(),
                    "ibsi_ih_min".into(),
                ],
            ),
            (&[("stat", &["max"]), ("stat", &[])], family("ibsi_stat_")),
        ];
        for (entries, expected) in cases {
            let out = select(entries).unwrap();
            let names: Vec<&str> = out.features.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, expected, "{entries:?}");
            for (name, value) in &out.features {
                let reference = full.value(name).unwrap();
                assert!(
                    value.to_bits() == reference.to_bits(),
                    "{name}: {value} vs {reference} ({entries:?})"
                );
            }
        }
        // PyRadiomics classes through `only` map as well.
        let (image, mask) = textured();
        let only = crate::extract(
            &image,
            &mask,
            &settings(),
            &FeatureClassSelection::only(&[crate::FeatureClass::Glszm]),
        )
        .unwrap();
        assert_eq!(only.features.len(), 3 * super::super::texture::SZM_TAGS.len());
    }

    #[test]
    fn unknown_keys_and_features_are_named_with_the_valid_ones() {
        let err = select(&[("glcmm", &[])]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`glcmm`") && text.contains("cm, rlm") && text.contains("firstorder"),
            "{text}"
        );
        let err = select(&[("glcm", &["JointEnergy"])]).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(&err, FeatureError::UnknownIbsiSelection { key, feature: Some((0, f)), .. } if key == "glcm" && f == "JointEnergy"),
            "{text}"
        );
        assert!(
            text.contains("joint_max") && text.contains("info_corr_2"),
            "{text}"
        );
        // Aggregation suffixes are not part of a tag.
        assert!(select(&[("cm", &["joint_max_3D_avg"])]).is_err());
    }
}
