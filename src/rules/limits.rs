//! How much one draft may carry. Every limit keeps the cost of an
//! assessment linear in what was accepted and bounded in total; a draft over
//! a limit is refused with a field violation naming the limit.

/// Default of [`Limits::max_text_bytes`]: 1 MiB, some twenty times the
/// longest decision in the Helsinki and Lapua corpora.
pub const DEFAULT_MAX_TEXT_BYTES: usize = 1024 * 1024;

/// Limits on what a draft may carry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Largest total text: title, section headings and texts, alternatives'
    /// titles and texts. Configurable (`max_text_bytes`).
    pub max_text_bytes: usize,
    /// Longest title, section heading or alternative title, in bytes (the
    /// corpora's longest title is 233).
    pub max_title_bytes: usize,
    /// Most sections.
    pub max_sections: usize,
    /// Most alternatives; each is assessed as a proposal of its own.
    pub max_alternatives: usize,
    /// Most facts, affected groups or affected areas.
    pub max_list_items: usize,
    /// Longest short field: tenant, case id, organ, language, task class,
    /// decision date, alternative id, group id, area name, fact name and
    /// string fact value, request id.
    pub max_field_bytes: usize,
    /// Largest magnitude of a numeric fact (conditions compute in
    /// decimals, which stop near 7.9e28).
    pub max_fact_magnitude: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
            max_title_bytes: 1000,
            max_sections: 200,
            max_alternatives: 20,
            max_list_items: 64,
            max_field_bytes: 256,
            max_fact_magnitude: 1e15,
        }
    }
}
