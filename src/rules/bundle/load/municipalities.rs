//! `municipalities.yaml`: the register of Finnish municipalities, every one
//! a tenant, with its names, official languages and wellbeing services
//! county.

use std::collections::{BTreeMap, BTreeSet};

use marked_yaml::Spanned;

use super::{Kind, Loader};
use crate::domain::{Language, Localized};
use crate::rules::bundle::format::{MunicipalitiesFile, line_of};
use crate::rules::bundle::model::{County, Municipality};

const FILE: &str = "municipalities.yaml";

/// The register: municipalities by number, and the year of the
/// classification it follows.
pub(super) struct Register {
    pub(super) year: u32,
    pub(super) municipalities: BTreeMap<String, Municipality>,
}

impl Loader {
    pub(super) fn municipalities(&mut self, text: Option<&str>) -> Register {
        let mut register = Register {
            year: 0,
            municipalities: BTreeMap::new(),
        };
        let Some(text) = text else {
            self.err(
                Kind::Missing,
                FILE,
                0,
                "missing; a bundle needs the register of municipalities, every one a tenant \
                 (copy municipalities.yaml from the default bundle)",
            );
            return register;
        };
        let Some(file) = self.parse::<MunicipalitiesFile>(FILE, text) else {
            return register;
        };
        register.year = *file.year;
        let mut counties = BTreeMap::new();
        for c in file.counties {
            let id = c.id.as_str().to_string();
            self.check_names(&c.fi, &c.sv, &format!("county `{id}`"));
            let county = County {
                id: id.clone(),
                code: c.code.as_str().to_string(),
                name: Localized {
                    fi: c.fi.as_str().to_string(),
                    sv: c.sv.as_str().to_string(),
                    en: c.fi.as_str().to_string(),
                },
            };
            if counties.insert(id.clone(), county).is_some() {
                self.err(
                    Kind::Duplicate,
                    FILE,
                    line_of(&c.id),
                    format!("duplicate county `{id}`"),
                );
            }
        }
        for m in file.municipalities {
            let number = m.number.as_str().to_string();
            let line = line_of(&m.number);
            if !Municipality::is_number(&number) {
                self.err(
                    Kind::Invalid,
                    FILE,
                    line,
                    format!(
                        "municipality number `{number}` is not three digits; write it as \
                         Statistics Finland does, such as \"091\" (quoted)"
                    ),
                );
            }
            self.check_names(&m.fi, &m.sv, &format!("municipality {number}"));
            let mut languages = Vec::new();
            for l in &m.languages {
                match Language::parse(l.as_str()) {
                    Some(lang @ (Language::Fi | Language::Sv)) if !languages.contains(&lang) => {
                        languages.push(lang);
                    }
                    _ => self.err(
                        Kind::Invalid,
                        FILE,
                        line_of(l),
                        format!(
                            "`{}` is not an official language of municipality {number}; \
                             list fi and sv, each once, the majority language first",
                            l.as_str()
                        ),
                    ),
                }
            }
            if m.languages.is_empty() {
                self.err(
                    Kind::Missing,
                    FILE,
                    line,
                    format!("municipality {number} has no official language; write [fi], [sv], [fi, sv] or [sv, fi]"),
                );
            }
            let Some(county) = counties.get(m.county.as_str()) else {
                let known: BTreeSet<&str> = counties.keys().map(String::as_str).collect();
                self.err(
                    Kind::Unknown,
                    FILE,
                    line_of(&m.county),
                    format!(
                        "municipality {number} names unknown county `{}`; use one of the ids under counties: ({})",
                        m.county.as_str(),
                        known.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                );
                continue;
            };
            let en = if languages.first() == Some(&Language::Sv) {
                m.sv.as_str()
            } else {
                m.fi.as_str()
            };
            let municipality = Municipality {
                number: number.clone(),
                name: Localized {
                    fi: m.fi.as_str().to_string(),
                    sv: m.sv.as_str().to_string(),
                    en: en.to_string(),
                },
                languages,
                county: county.clone(),
                sami_homeland: m.sami_homeland,
            };
            if register
                .municipalities
                .insert(number.clone(), municipality)
                .is_some()
            {
                self.err(
                    Kind::Duplicate,
                    FILE,
                    line,
                    format!("duplicate municipality number `{number}`"),
                );
            }
        }
        if register.municipalities.is_empty() {
            self.err(
                Kind::Missing,
                FILE,
                0,
                "lists no municipality; every tenant must be listed",
            );
        }
        register
    }

    /// A Finnish and a Swedish name, both given.
    fn check_names(&mut self, fi: &Spanned<String>, sv: &Spanned<String>, whose: &str) {
        for (name, what) in [(fi, "Finnish"), (sv, "Swedish")] {
            if name.trim().is_empty() {
                self.err(
                    Kind::Missing,
                    FILE,
                    line_of(name),
                    format!("{whose} has no {what} name"),
                );
            }
        }
    }
}
