//! Finnish and Swedish word forms: the stems a base form takes in
//! inflection, and the closed lists of inflectional endings and clitics.

use std::collections::BTreeSet;

/// Language of a text, for morphology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub enum Language {
    Finnish,
    Swedish,
}

/// Finnish case and number endings, after a stem (both vowel harmonies).
const FI_ENDINGS: &[&str] = &[
    // singular cases
    "n", "a", "ä", "ta", "tä", "na", "nä", "ksi", "ssa", "ssä", "sta", "stä", "lla", "llä", "lta",
    "ltä", "lle", "tta", "ttä", "an", "en", "in", "on", "un", "yn", "än", "ön", "hin", "han",
    "hen", "hon", "hun", "hyn", "hän", "hön", "seen", "siin", "ne",
    // plural nominative and genitive
    "t", "jen", "den", "tten", "ten", "ien", "iden", "itten", "ojen", "öjen", "ejen",
    // plural partitive
    "ja", "jä", "ita", "itä", "ia", "iä", "oja", "öjä", "eja", "ejä",
    // plural with the i-marker after the stem vowel (kouluissa, tiloissa, kodeissa)
    "issa", "issä", "ista", "istä", "illa", "illä", "ilta", "iltä", "ille", "iksi", "ina", "inä",
    "itta", "ittä", "ine", "ihin", "iin", "isiin", "oissa", "oista", "oilla", "oilta", "oille",
    "oiksi", "oina", "oihin", "oiden", "oitten", "öissä", "öistä", "öillä", "öille", "öihin",
    "eissa", "eissä", "eista", "eistä", "eilla", "eillä", "eilta", "eiltä", "eille", "eiksi",
    "eina", "einä", "eihin", "eiden", "eitä", "eita", "ineen", "ineen",
    // possessive forms that replace the case ending
    "nsa", "nsä", "mme", "nne", "ni", "si", "aan", "ään", "een", "iin", "oon", "uun", "yyn",
    // the lengthened vowel of the illative before a possessive (kouluumme)
    "u", "y", "o", "ö", "e", "i",
];

/// Finnish clitics and possessive suffixes that may follow a case ending.
const FI_CLITICS: &[&str] = &[
    "kin", "kaan", "kään", "ko", "kö", "han", "hän", "pa", "pä", "nsa", "nsä", "mme", "nne",
    // third-person possessive after a case ending (kirjastoltaan, kouluunsa)
    "an", "än", "en", "aan", "ään",
];

/// Swedish endings: definite, plural and genitive forms.
const SV_ENDINGS: &[&str] = &[
    "s", "n", "en", "et", "t", "an", "ar", "er", "or", "r", "na", "arna", "erna", "orna", "rna",
    "ens", "ets", "ans", "ns", "ts", "arnas", "ernas", "ornas", "rnas", "nas", "e", "a", "ena",
];

/// A closed list of suffixes, looked up by the token's own suffixes: a
/// token is checked against each suffix length, not against every entry.
struct SuffixSet {
    set: foldhash::HashSet<&'static str>,
    max_chars: usize,
}

impl SuffixSet {
    fn new(list: &'static [&'static str]) -> Self {
        SuffixSet {
            set: list.iter().copied().collect(),
            max_chars: list.iter().map(|s| s.chars().count()).max().unwrap_or(0),
        }
    }

    /// The suffixes of `word` in this set, the empty suffix first.
    fn suffixes_of<'w>(
        &'static self,
        word: &'w str,
    ) -> impl Iterator<Item = (&'w str, &'w str)> + 'w {
        let cuts = std::iter::once(word.len()).chain(
            word.char_indices()
                .rev()
                .take(self.max_chars)
                .map(|(i, _)| i),
        );
        cuts.filter_map(move |cut| {
            let (body, suffix) = word.split_at(cut);
            (suffix.is_empty() || self.set.contains(suffix)).then_some((body, suffix))
        })
    }
}

static FI_ENDING_SET: std::sync::LazyLock<SuffixSet> =
    std::sync::LazyLock::new(|| SuffixSet::new(FI_ENDINGS));
static SV_ENDING_SET: std::sync::LazyLock<SuffixSet> =
    std::sync::LazyLock::new(|| SuffixSet::new(SV_ENDINGS));
static FI_CLITIC_SET: std::sync::LazyLock<SuffixSet> =
    std::sync::LazyLock::new(|| SuffixSet::new(FI_CLITICS));
static NO_CLITICS: std::sync::LazyLock<SuffixSet> =
    std::sync::LazyLock::new(|| SuffixSet::new(&[]));

fn endings(lang: Language) -> &'static SuffixSet {
    match lang {
        Language::Finnish => &FI_ENDING_SET,
        Language::Swedish => &SV_ENDING_SET,
    }
}

fn clitics(lang: Language) -> &'static SuffixSet {
    match lang {
        Language::Finnish => &FI_CLITIC_SET,
        Language::Swedish => &NO_CLITICS,
    }
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'ä' | 'ö' | 'å')
}

/// The stems a base form takes in inflection, longest first. Every stem is
/// at least two characters.
pub fn stems_for(lang: Language, word: &str) -> Vec<String> {
    let mut out = BTreeSet::new();
    match lang {
        Language::Finnish => finnish_stems(word, &mut out),
        Language::Swedish => swedish_stems(word, &mut out),
    }
    let mut v: Vec<String> = out.into_iter().filter(|s| s.chars().count() >= 2).collect();
    v.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    v
}

fn finnish_stems(word: &str, out: &mut BTreeSet<String>) {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let mut bases: Vec<String> = vec![word.to_string()];
    let head = |k: usize| chars[..n.saturating_sub(k)].iter().collect::<String>();
    if word.ends_with("nen") && n > 4 {
        // ihminen → ihmise-, ihmis-
        bases.push(format!("{}se", head(3)));
        bases.push(format!("{}s", head(3)));
    } else if (word.ends_with("nut") || word.ends_with("nyt")) && n > 5 {
        // past participles: muuttanut → muuttanee-, muuttane-
        bases.push(format!("{}ee", head(2)));
        bases.push(format!("{}e", head(2)));
    } else if (word.ends_with("ton") || word.ends_with("tön")) && n > 4 {
        // asunnoton → asunnottoma-, asunnottom-; työtön → työttömä-
        let (a, rest) = if word.ends_with("ton") {
            ('a', "tom")
        } else {
            ('ä', "töm")
        };
        bases.push(format!("{}{rest}{a}", head(2)));
        bases.push(format!("{}{rest}", head(2)));
    } else if (word.ends_with("us")
        || word.ends_with("ys")
        || word.ends_with("os")
        || word.ends_with("ös"))
        && n > 3
    {
        // avustus → avustukse-, avustuks-; terveys → terveyde-, terveyt-
        bases.push(format!("{}kse", head(1)));
        bases.push(format!("{}ks", head(1)));
        bases.push(format!("{}de", head(1)));
        bases.push(format!("{}t", head(1)));
    } else if (word.ends_with("as") || word.ends_with("äs") || word.ends_with("es")) && n > 3 {
        // oppilas → oppilaa-, oppila-; kirves → kirvee-
        let vowel = chars[n - 2];
        bases.push(format!("{}{vowel}", head(1)));
        bases.push(head(1));
    } else if word.ends_with("in") && n > 3 {
        // puhelin → puhelime-, puhelim-
        bases.push(format!("{}me", head(1)));
        bases.push(format!("{}m", head(1)));
    } else if word.ends_with("si") && n > 3 && is_vowel(chars[n - 3]) {
        // uusi → uude-, uute-, uusi-; vesi → vede-, vete-: after a vowel a
        // final -si turns to -de- and -te- (the partitive uutta is left out:
        // its stem uut- would take vowel endings that are other words)
        bases.push(format!("{}de", head(2)));
        bases.push(format!("{}te", head(2)));
        bases.push(format!("{}se", head(2)));
    } else if let Some(&last) = chars.last()
        && is_vowel(last)
    {
        let stem = head(1);
        // a final -o, -ö, -u or -y stays in every form (talo → taloja, koulu →
        // kouluissa): dropping it would make ohjelmisto match ohjelmista
        if !matches!(last, 'o' | 'ö' | 'u' | 'y') {
            bases.push(stem.clone());
        }
        match last {
            // lapsi → lapse-, tuki → tuke-
            'i' => bases.push(format!("{stem}e")),
            // perhe → perhee-
            'e' => bases.push(format!("{word}e")),
            // tila → tilo-, kylä → kyli- (the plural stem; -i- is in the endings)
            'a' => bases.push(format!("{stem}o")),
            _ => {}
        }
    }
    // työ → töi-, suo → soi-, tie → tei-: the plural of a final diphthong
    for (diphthong, plural) in [("yö", "öi"), ("uo", "oi"), ("ie", "ei")] {
        if let Some(stem) = word.strip_suffix(diphthong) {
            bases.push(format!("{stem}{plural}"));
        }
    }
    // aika → ajan, poika → pojan: `ik` after a vowel weakens to `j`
    for b in bases.clone() {
        if let Some(pos) = b.rfind("ik") {
            let before = &b[..pos];
            let after = &b[pos + 2..];
            if before.ends_with(is_vowel) && !after.is_empty() && after.chars().all(is_vowel) {
                bases.push(format!("{before}j{after}"));
            }
        }
    }
    // e-words (laite, liike) are in the weak grade as base forms and
    // strong when inflected (laitteen): generate only the strong grade
    let strengthen_only = word.ends_with('e');
    for b in bases {
        for g in gradations(&b, strengthen_only) {
            out.insert(g);
        }
        out.insert(b);
    }
}

fn swedish_stems(word: &str, out: &mut BTreeSet<String>) {
    out.insert(word.to_string());
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let head = |k: usize| chars[..n.saturating_sub(k)].iter().collect::<String>();
    if let Some(&last) = chars.last() {
        if is_vowel(last) && n > 3 {
            // skola → skol-, pojke → pojk-
            out.insert(head(1));
        } else if matches!(last, 'm' | 'n' | 'l' | 'p' | 't' | 's') {
            // daghem → daghemm-, program → programm-
            out.insert(format!("{word}{last}"));
        }
    }
    if word.ends_with("um") && n > 4 {
        // gymnasium → gymnasi-et, museum → muse-er
        out.insert(head(2));
    }
    if word.ends_with("er") && n > 4 {
        // teater → teatr-ar
        out.insert(format!("{}r", head(2)));
    }
    // umlaut plurals: bostad → bostäder, son → söner
    if let Some(pos) = chars.iter().rposition(|c| is_vowel(*c))
        && !is_vowel(chars[n - 1])
    {
        let umlaut = match chars[pos] {
            'a' => Some('ä'),
            'o' => Some('ö'),
            _ => None,
        };
        if let Some(u) = umlaut {
            let mut changed = chars.clone();
            changed[pos] = u;
            out.insert(changed.into_iter().collect());
        }
    }
}

/// Consonant gradation: the word with its last consonant cluster in the
/// other grade (both directions, so that weak and strong bases both work).
fn gradations(stem: &str, strengthen_only: bool) -> Vec<String> {
    let chars: Vec<char> = stem.chars().collect();
    // the last consonant run, either at the end or before the trailing vowels
    let mut end = chars.len();
    while end > 0 && is_vowel(chars[end - 1]) {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && !is_vowel(chars[start - 1]) {
        start -= 1;
    }
    if start == end || start == 0 {
        return Vec::new();
    }
    let cluster: String = chars[start..end].iter().collect();
    let before: String = chars[..start].iter().collect();
    let after: String = chars[end..].iter().collect();
    // (strong, weak, reversible): a reversible pair is also generated from
    // weak to strong, for base forms in the weak grade (`liike` → `liikkeen`).
    // The others (k → j, k → v, k → ∅ …) are generated only from strong to
    // weak: read backwards they would turn `haju` into `haku`.
    const PAIRS: &[(&str, &str, bool)] = &[
        ("kk", "k", true),
        ("pp", "p", true),
        ("tt", "t", true),
        ("nk", "ng", true),
        ("mp", "mm", true),
        ("lt", "ll", true),
        ("nt", "nn", true),
        ("rt", "rr", true),
        ("ht", "hd", true),
        ("t", "d", true),
        ("lk", "l", false),
        ("lk", "lj", false),
        ("rk", "r", false),
        ("rk", "rj", false),
        ("hk", "h", false),
        ("lp", "lv", false),
        ("rp", "rv", false),
        ("p", "v", false),
        ("k", "", false),
        ("k", "v", false),
        ("k", "j", false),
    ];
    let mut out = Vec::new();
    for (strong, weak, reversible) in PAIRS {
        // the run may be longer than the pair: match the pair at the run's end
        if !strengthen_only && let Some(rest) = cluster.strip_suffix(strong) {
            out.push(format!("{before}{rest}{weak}{after}"));
        }
        if *reversible
            && !weak.is_empty()
            && let Some(rest) = cluster.strip_suffix(weak)
        {
            out.push(format!("{before}{rest}{strong}{after}"));
        }
    }
    out
}

/// Third-person possessives written as a vowel and -n (`kirjastoltaan`):
/// they follow a case ending that is not empty and ends in neither -n nor -t.
const THIRD_PERSON: &[&str] = &["an", "än", "en", "aan", "ään"];
/// Possessive suffixes: they follow a case ending, never the genitive -n
/// or the plural -t.
const POSSESSIVES: &[&str] = &["mme", "nne", "nsa", "nsä", "an", "än", "en", "aan", "ään"];
/// Endings that are only the lengthened illative vowel before a possessive.
const BARE_VOWELS: &[&str] = &["u", "y", "o", "ö", "e", "i"];

/// Whether a Finnish case ending and clitic can stand together
/// (`kirjastoltaan` yes; `kulttuuri-n-en` no: that is the adjective
/// `kulttuurinen`). Swedish has no clitics, so every ending stands alone.
fn combines(clitic: &str, ending: &str) -> bool {
    let possessive = POSSESSIVES.contains(&clitic);
    if BARE_VOWELS.contains(&ending) {
        return possessive;
    }
    if THIRD_PERSON.contains(&clitic) {
        return !ending.is_empty() && !ending.ends_with('n') && !ending.ends_with('t');
    }
    true
}

/// A way to read a token as `modifier + stem + ending + clitic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandidateStem<'a> {
    /// The stem part.
    pub stem: &'a str,
    /// Characters before the stem (a compound modifier); 0 for none.
    pub modifier_chars: usize,
}

/// Whether `rest` is an inflectional ending followed by a clitic (either
/// may be empty): what may follow a stem in a word.
pub fn is_inflection(lang: Language, rest: &str) -> bool {
    clitics(lang).suffixes_of(rest).any(|(ending, clitic)| {
        (ending.is_empty() || endings(lang).set.contains(ending))
            && (lang == Language::Swedish || combines(clitic, ending))
    })
}

/// Every reading of `token` as `[modifier] stem [ending] [clitic]` with a
/// modifier of at least `min_modifier` characters (or none).
pub fn candidate_stems(
    lang: Language,
    token: &str,
    min_modifier: usize,
) -> impl Iterator<Item = CandidateStem<'_>> {
    let mut bodies: Vec<&str> = Vec::new();
    for (before_clitic, clitic) in clitics(lang).suffixes_of(token) {
        for (body, ending) in endings(lang).suffixes_of(before_clitic) {
            let allowed = lang == Language::Swedish || combines(clitic, ending);
            if allowed && !body.is_empty() && !bodies.contains(&body) {
                bodies.push(body);
            }
        }
    }
    bodies.into_iter().flat_map(move |body| {
        body.char_indices()
            .enumerate()
            .filter(move |(k, _)| *k == 0 || *k >= min_modifier)
            .map(move |(k, (byte, _))| CandidateStem {
                stem: &body[byte..],
                modifier_chars: k,
            })
    })
}
