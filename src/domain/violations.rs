//! What is wrong with a request, field by field, kept small whatever the
//! request holds: a request with a million bad values gets the first few
//! listed and a count of the rest, so the error fits in the metadata a
//! default gRPC client accepts and in one log line.

use std::borrow::Cow;
use std::fmt;

/// One field of a request that is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field, such as `draft.title` or `draft.facts.pupils`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub description: String,
}

/// The problems found in one request: the first ones listed in full, the
/// rest counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations {
    listed: Vec<FieldViolation>,
    total: usize,
    listed_bytes: usize,
}

/// Most violations listed in one error.
pub const MAX_LISTED_VIOLATIONS: usize = 20;
/// Most bytes of field paths and descriptions listed in one error. With the
/// protobuf framing and base64 of `grpc-status-details-bin` and the status
/// message, an error stays under 6 KiB, inside the 8 KiB of metadata that
/// gRPC's C-core clients (Python, Ruby, C#) accept by default.
pub const MAX_LISTED_BYTES: usize = 3 * 1024;
/// Longest field path listed; longer ones (a fact name is the caller's) are cut.
const MAX_FIELD_BYTES: usize = 160;
/// Longest description listed.
const MAX_DESCRIPTION_BYTES: usize = 400;
/// Most characters of a caller's value shown in a message.
pub const MAX_SHOWN_CHARS: usize = 64;

impl Violations {
    /// No problems yet.
    pub fn new() -> Violations {
        Violations::default()
    }

    /// Records a problem: listed while there is room, counted always.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.total += 1;
        if self.listed.len() >= MAX_LISTED_VIOLATIONS || self.listed_bytes >= MAX_LISTED_BYTES {
            return;
        }
        let field = cut(field.into(), MAX_FIELD_BYTES);
        let description = cut(description.into(), MAX_DESCRIPTION_BYTES);
        self.listed_bytes += field.len() + description.len();
        self.listed.push(FieldViolation { field, description });
    }

    /// Takes over the problems of `other`, after those recorded so far.
    pub fn append(&mut self, other: Violations) {
        let unlisted = other.unlisted();
        for v in other.listed {
            self.add(v.field, v.description);
        }
        self.total += unlisted;
    }

    /// The same problems with every field path under `prefix` (a stream
    /// reports `requests[3].draft.title`).
    pub fn prefixed(self, prefix: &str) -> Violations {
        let mut out = Violations::new();
        for v in self.listed {
            out.add(format!("{prefix}{}", v.field), v.description);
        }
        out.total = self.total;
        out
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// `Ok` when there are none, else these violations as the error.
    pub fn into_result(self) -> Result<(), Violations> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// How many problems were found.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The problems listed in full, in the order they were found.
    pub fn listed(&self) -> &[FieldViolation] {
        &self.listed
    }

    /// How many problems were counted but not listed.
    pub fn unlisted(&self) -> usize {
        self.total - self.listed.len()
    }

    /// A one-line message for the whole request, such as the gRPC status
    /// message: the problem itself when there is one, else the count.
    pub fn summary(&self) -> String {
        match (self.listed.as_slice(), self.unlisted()) {
            ([one], 0) => format!("{}: {}", one.field, one.description),
            (listed, 0) => format!(
                "the request has {} problems; see the field violations",
                listed.len()
            ),
            (listed, more) => format!(
                "the request has {} problems; the field violations list the first {}, and {more} more are not listed",
                self.total,
                listed.len()
            ),
        }
    }
}

/// Bounded for logs: the first three problems, then a count.
impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const IN_LOG: usize = 3;
        for (i, v) in self.listed.iter().take(IN_LOG).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", v.field, v.description)?;
        }
        let rest = self.total - self.listed.len().min(IN_LOG);
        if rest > 0 {
            write!(f, "; and {rest} more")?;
        }
        Ok(())
    }
}

/// A caller's value as a message shows it: in backticks, at most
/// [`MAX_SHOWN_CHARS`] characters (then `…`), control characters escaped so
/// that it cannot break a log line.
pub fn quoted(value: &str) -> String {
    format!("`{}`", printable(value, MAX_SHOWN_CHARS))
}

/// `value` safe to write into a one-line log or message: control
/// characters escaped (`\n`), cut after `max_chars` characters with `…`.
pub fn printable(value: &str, max_chars: usize) -> Cow<'_, str> {
    let clean = value.chars().take(max_chars).all(|c| !c.is_control());
    let short = value.chars().nth(max_chars).is_none();
    if clean && short {
        return Cow::Borrowed(value);
    }
    let mut out = String::new();
    for c in value.chars().take(max_chars) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if !short {
        out.push('…');
    }
    Cow::Owned(out)
}

/// `s` cut to at most `max` bytes on a character boundary, with `…`.
fn cut(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max - '…'.len_utf8();
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_first_problems_and_counts_the_rest() {
        let mut v = Violations::new();
        for i in 0..1000 {
            v.add(format!("render_formats[{i}]"), "unknown format");
        }
        assert_eq!(v.total(), 1000);
        assert_eq!(v.listed().len(), MAX_LISTED_VIOLATIONS);
        assert_eq!(v.unlisted(), 980);
        assert_eq!(
            v.summary(),
            "the request has 1000 problems; the field violations list the first 20, and 980 more are not listed"
        );
        assert_eq!(
            v.to_string(),
            "render_formats[0]: unknown format; render_formats[1]: unknown format; render_formats[2]: unknown format; and 997 more"
        );
    }

    #[test]
    fn long_descriptions_use_up_the_byte_budget_before_the_count() {
        let mut v = Violations::new();
        for _ in 0..20 {
            v.add("draft.title", "x".repeat(10_000));
        }
        assert!(v.listed().iter().all(|x| x.description.len() <= 400));
        let bytes: usize = v
            .listed()
            .iter()
            .map(|x| x.field.len() + x.description.len())
            .sum();
        assert!(bytes < MAX_LISTED_BYTES + 600, "{bytes}");
        assert_eq!(v.total(), 20);
    }

    #[test]
    fn quoted_values_are_short_and_on_one_line() {
        assert_eq!(quoted("091"), "`091`");
        assert_eq!(quoted("a\nb\u{1b}"), "`a\\nb\\u{1b}`");
        let long = "ä".repeat(100);
        assert_eq!(quoted(&long), format!("`{}…`", "ä".repeat(64)));
    }

    #[test]
    fn a_prefix_keeps_the_count() {
        let mut v = Violations::new();
        for _ in 0..30 {
            v.add("draft.title", "is empty");
        }
        let p = v.prefixed("requests[2].");
        assert_eq!(p.total(), 30);
        assert_eq!(p.listed()[0].field, "requests[2].draft.title");
    }
}
