//! `templates/`: the rendering templates, compiled by the renderer, and
//! their UI strings. Whether the templates render is checked once the
//! bundle is whole, by rendering sample assessments (see `samples`).

use std::collections::BTreeMap;

use super::{Files, Kind, Loader};
use crate::domain::Localized;
use crate::render::{REQUIRED_STRINGS, Renderer, TEMPLATE_NAMES};
use crate::rules::bundle::format::StringsFile;

const STRINGS: &str = "templates/strings.yaml";

/// The UI strings, the templates by file name (`assessment.html.j2` …)
/// and the renderer compiled from them.
pub(super) struct Templates {
    pub(super) strings: BTreeMap<String, Localized>,
    pub(super) templates: BTreeMap<String, String>,
    pub(super) renderer: Option<Renderer>,
}

impl Loader {
    pub(super) fn templates(&mut self, files: &Files<'_>) -> Templates {
        let mut strings = BTreeMap::new();
        if let Some(s) = files
            .get(STRINGS)
            .and_then(|t| self.parse::<StringsFile>(STRINGS, t))
        {
            for (k, v) in s.strings {
                self.check_text(STRINGS, &v, &format!("string `{k}`"));
                strings.insert(k, (*v).clone());
            }
        }
        for key in REQUIRED_STRINGS {
            if !strings.contains_key(*key) {
                self.err(
                    Kind::Missing,
                    STRINGS,
                    0,
                    format!("string `{key}` is missing; renderings need it in fi, sv and en"),
                );
            }
        }
        let templates: BTreeMap<String, String> = files
            .0
            .iter()
            .filter(|(p, _)| p.starts_with("templates/") && p.ends_with(".j2"))
            .map(|(p, t)| (p.trim_start_matches("templates/").to_string(), t.clone()))
            .collect();
        for needed in TEMPLATE_NAMES {
            if !templates.contains_key(*needed) {
                self.err(
                    Kind::Missing,
                    &format!("templates/{needed}"),
                    0,
                    "missing; renderings need this template",
                );
            }
        }
        let renderer = match Renderer::new(&templates) {
            Ok(r) => Some(r),
            Err(e) => {
                self.err(
                    Kind::Template,
                    &format!("templates/{}", e.template),
                    e.line,
                    e.message,
                );
                None
            }
        };
        Templates {
            strings,
            templates,
            renderer,
        }
    }
}
