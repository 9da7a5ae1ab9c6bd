//! Euro amounts written in Finnish and Swedish text: `1 050 000 euroa`,
//! `20.000,00 euron`, `2,27 miljoonaa euroa`, `500 €`, `28,1 milj. euroa`.

/// Largest amount read: a larger figure (no municipal decision comes near
/// a thousand billion euros) is read as this, which keeps it large for the
/// conditions while staying within the range they compute in.
pub const MAX_EURO_AMOUNT: f64 = 1e15;

/// Every euro amount in `text`, in text order, each at most
/// `MAX_EURO_AMOUNT` (10¹⁵).
pub fn euro_amounts(text: &str) -> Vec<f64> {
    amounts(text)
        .into_iter()
        .map(|v| {
            if v.is_finite() {
                v.min(MAX_EURO_AMOUNT)
            } else {
                MAX_EURO_AMOUNT
            }
        })
        .collect()
}

/// Words read back from a currency word for its number: enough for any
/// amount up to the largest one read (`MAX_EURO_AMOUNT`), with a multiplier.
const LOOKBACK: usize = 12;

fn amounts(text: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let mut last = None;
    // a currency word starts with e (euro, eur) or holds € (whose UTF-8
    // starts with 0xE2): only words found so are read, with the words
    // before them
    for at in memchr::memchr3_iter(b'e', b'E', 0xE2, text.as_bytes()) {
        let after_space = text[..at]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        let start = if after_space {
            at
        } else if text.as_bytes()[at] == 0xE2 {
            text[..at]
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace())
                .map_or(0, |(i, c)| i + c.len_utf8())
        } else {
            continue;
        };
        if last == Some(start) {
            continue;
        }
        let end = text[start..]
            .find(char::is_whitespace)
            .map_or(text.len(), |e| start + e);
        let raw = &text[start..end];
        if !raw.starts_with(['e', 'E']) && !raw.contains('€') {
            continue;
        }
        last = Some(start);
        let mut words: Vec<&str> = text[..start]
            .split_whitespace()
            .rev()
            .take(LOOKBACK)
            .collect();
        words.reverse();
        if let Some(v) = currency(&words, raw) {
            out.push(v);
        }
    }
    out
}

/// The amount a currency word `raw` gives with the `words` before it.
fn currency(words: &[&str], raw: &str) -> Option<f64> {
    let w = raw
        .trim_end_matches(['.', ',', ';', ':', ')', '('])
        .to_lowercase();
    // a number glued to the sign: `500€`
    if let Some(num) = w.strip_suffix('€').filter(|n| !n.is_empty()) {
        return parse_number_run(words, Some(num));
    }
    if !(w.starts_with("euro") || w == "€" || w == "eur") {
        return None;
    }
    // an optional multiplier right before the currency
    let mut end = words.len();
    let mut factor = 1.0;
    if end > 0 {
        let m = words[end - 1].trim_end_matches('.').to_lowercase();
        // `miljardia` before `milj.`, which it also starts with
        if m.starts_with("miljard") {
            factor = 1_000_000_000.0;
            end -= 1;
        } else if m.starts_with("miljoon") || m.starts_with("milj") || m.starts_with("miljon") {
            factor = 1_000_000.0;
            end -= 1;
        } else if m == "tuhatta" || m == "tuhannen" || m == "tusen" || m == "t." {
            factor = 1_000.0;
            end -= 1;
        }
    }
    parse_number_run(&words[..end], None).map(|v| v * factor)
}

/// Reads the number that ends `words` (with `last` standing for a last word
/// already cut from its sign). Groups of three digits before it are
/// thousands: `1 050 000`.
fn parse_number_run(words: &[&str], last: Option<&str>) -> Option<f64> {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = words.iter().rev();
    let first = match last {
        Some(l) => l.to_string(),
        None => iter.next()?.trim_start_matches('(').to_string(),
    };
    let first = first.trim_end_matches(['-', '–']).to_string();
    if !is_number_word(&first) {
        return None;
    }
    parts.push(first);
    // earlier thousand groups, only while every later part is exactly three digits
    for w in iter {
        let w = w.trim_start_matches('(');
        let all_groups = parts
            .iter()
            .all(|p| p.len() == 3 && p.chars().all(|c| c.is_ascii_digit()))
            || (parts.len() == 1
                && parts[0].chars().take_while(|c| c.is_ascii_digit()).count() == 3);
        if all_groups && (1..=3).contains(&w.len()) && w.chars().all(|c| c.is_ascii_digit()) {
            parts.push(w.to_string());
        } else {
            break;
        }
    }
    parts.reverse();
    let joined = parts.concat();
    parse_number(&joined)
}

fn is_number_word(w: &str) -> bool {
    !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && w.chars().any(|c| c.is_ascii_digit())
}

/// `20.000,00` → 20000, `2,27` → 2.27, `1050000` → 1050000.
fn parse_number(s: &str) -> Option<f64> {
    let (int, frac) = match s.rsplit_once(',') {
        Some((i, f)) if !f.is_empty() && f.len() <= 2 => (i, f),
        _ => (s, ""),
    };
    let int: String = int.chars().filter(|c| c.is_ascii_digit()).collect();
    if int.is_empty() {
        return None;
    }
    let v: f64 = if frac.is_empty() {
        int.parse().ok()?
    } else {
        format!("{int}.{frac}").parse().ok()?
    };
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::euro_amounts;

    #[test]
    fn reads_finnish_and_swedish_amounts() {
        let cases: &[(&str, f64)] = &[
            (
                "myöntää avustusta yhteensä 1 050 000 euroa koronasta",
                1_050_000.0,
            ),
            (
                "kokonaishintaan enintään 20.000,00 euron arvonlisäverottomaan",
                20_000.0,
            ),
            ("yhteensä 2,27 miljoonaa euroa", 2_270_000.0),
            ("28,1 milj. euron ylitysoikeus", 28_100_000.0),
            ("400 euron talokerhoavustuksen", 400.0),
            ("kauppahinnalla 95 000 euroa.", 95_000.0),
            ("bidrag om 500 000 euro", 500_000.0),
            ("hinta 500€ kuussa", 500.0),
            ("noin 2,5 miljardia euroa", 2_500_000_000.0),
            ("1,2 miljarder euro", 1_200_000_000.0),
        ];
        for (text, want) in cases {
            assert_eq!(euro_amounts(text), vec![*want], "{text}");
        }
    }

    #[test]
    fn reads_an_absurd_amount_as_the_largest_one() {
        let nines = format!("avustusta {} euroa", "9".repeat(40));
        assert_eq!(euro_amounts(&nines), vec![super::MAX_EURO_AMOUNT]);
        assert_eq!(
            euro_amounts("5 000 000 miljardia euroa"),
            vec![super::MAX_EURO_AMOUNT]
        );
    }

    #[test]
    fn ignores_numbers_that_are_not_money() {
        assert!(euro_amounts("Kokous 12.1.2022 klo 16, 50 osallistujaa").is_empty());
        assert_eq!(
            euro_amounts("vuonna 2022 yhteensä 630 000 euroa"),
            vec![630_000.0]
        );
    }
}
