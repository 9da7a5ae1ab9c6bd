//! The measured test list for the matcher: inflected, gradated and compound
//! forms that must match their concept, and near misses that must not.

use super::*;

/// A matcher over `lex`: concept ids with their terms.
fn matcher(lang: MorphLanguage, lex: &[(&str, &[&str])]) -> Matcher {
    let lex: Vec<(&str, Vec<String>)> = lex
        .iter()
        .map(|(c, terms)| (*c, terms.iter().map(|t| t.to_string()).collect()))
        .collect();
    Matcher::new(lang, lex.iter().map(|(c, t)| (*c, t.as_slice())))
}

fn matcher_fi() -> Matcher {
    matcher(
        MorphLanguage::Finnish,
        &[
            ("daycare", &["päiväkoti", "varhaiskasvatusyksikkö"]),
            ("school", &["koulu"]),
            ("youth_facility", &["nuorisotila", "nuorisotalo"]),
            ("library", &["kirjasto"]),
            ("health_station", &["terveysasema"]),
            ("price", &["hinta"]),
            ("fee", &["maksu"]),
            ("child", &["lapsi", "lasten", "lasta"]),
            ("family", &["perhe"]),
            ("older", &["ikäihminen", "vanhus"]),
            ("street", &["katu"]),
            ("opening_hours", &["aukioloaika"]),
            ("zoning", &["asemakaava"]),
            ("grant", &["avustus"]),
            ("procurement", &["hankinta"]),
            ("minutes_publication", &["pöytäkirja yleisesti nähtävänä"]),
            ("health", &["terveys"]),
            ("space", &["=tila"]),
            ("school_network", &["kouluverk*"]),
            ("smell", &["haju"]),
            ("device", &["laite", "liike"]),
        ],
    )
}

fn matcher_sv() -> Matcher {
    matcher(
        MorphLanguage::Swedish,
        &[
            ("school", &["skola"]),
            ("daycare", &["daghem"]),
            ("fee", &["avgift"]),
            ("library", &["bibliotek"]),
            ("child", &["barn"]),
            ("older", &["äldre"]),
        ],
    )
}

/// Finnish forms that must match, with their concept.
const FI_POSITIVE: &[(&str, &str)] = &[
    ("päiväkoti", "daycare"),
    ("päiväkodin", "daycare"),
    ("päiväkotien", "daycare"),
    ("päiväkoteja", "daycare"),
    ("päiväkodeissa", "daycare"),
    ("päiväkotiin", "daycare"),
    ("päiväkodit", "daycare"),
    ("päiväkodista", "daycare"),
    ("päiväkodille", "daycare"),
    ("lähipäiväkodin", "daycare"),
    ("varhaiskasvatusyksikön", "daycare"),
    ("varhaiskasvatusyksiköt", "daycare"),
    ("varhaiskasvatusyksiköissä", "daycare"),
    ("koulu", "school"),
    ("koulun", "school"),
    ("kouluja", "school"),
    ("koulujen", "school"),
    ("kouluissa", "school"),
    ("kouluun", "school"),
    ("lähikoulun", "school"),
    ("peruskoulut", "school"),
    ("yläkoulusta", "school"),
    ("koulullekin", "school"),
    ("nuorisotila", "youth_facility"),
    ("nuorisotilojen", "youth_facility"),
    ("nuorisotiloja", "youth_facility"),
    ("nuorisotiloissa", "youth_facility"),
    ("nuorisotilaan", "youth_facility"),
    ("nuorisotalon", "youth_facility"),
    ("nuorisotaloja", "youth_facility"),
    ("kirjasto", "library"),
    ("kirjastojen", "library"),
    ("kirjastoissa", "library"),
    ("lähikirjaston", "library"),
    ("pääkirjastoon", "library"),
    ("terveysasema", "health_station"),
    ("terveysaseman", "health_station"),
    ("terveysasemien", "health_station"),
    ("terveysasemilla", "health_station"),
    ("terveysasemat", "health_station"),
    ("hinta", "price"),
    ("hinnan", "price"),
    ("hintoja", "price"),
    ("hinnat", "price"),
    ("lipunhinnat", "price"),
    ("maksu", "fee"),
    ("maksujen", "fee"),
    ("maksut", "fee"),
    ("asiakasmaksuja", "fee"),
    ("asiakasmaksujen", "fee"),
    ("varhaiskasvatusmaksu", "fee"),
    ("lapsi", "child"),
    ("lapsen", "child"),
    ("lasten", "child"),
    ("lapsia", "child"),
    ("lapsille", "child"),
    ("lasta", "child"),
    ("perhe", "family"),
    ("perheen", "family"),
    ("perheiden", "family"),
    ("perheitä", "family"),
    ("lapsiperheiden", "family"),
    ("perheille", "family"),
    ("ikäihminen", "older"),
    ("ikäihmisten", "older"),
    ("ikäihmisille", "older"),
    ("ikäihmisiä", "older"),
    ("vanhus", "older"),
    ("vanhuksia", "older"),
    ("vanhusten", "older"),
    ("vanhuksen", "older"),
    ("katu", "street"),
    ("kadun", "street"),
    ("katuja", "street"),
    ("kaduilla", "street"),
    ("pyöräkadun", "street"),
    ("aukioloaika", "opening_hours"),
    ("aukioloajat", "opening_hours"),
    ("aukioloaikojen", "opening_hours"),
    ("aukioloaikoja", "opening_hours"),
    ("aukioloaikaa", "opening_hours"),
    ("asemakaava", "zoning"),
    ("asemakaavan", "zoning"),
    ("asemakaavoja", "zoning"),
    ("asemakaavamuutos", "zoning"),
    ("avustus", "grant"),
    ("avustuksen", "grant"),
    ("avustukset", "grant"),
    ("avustuksia", "grant"),
    ("toiminta-avustus", "grant"),
    ("kohdeavustuksen", "grant"),
    ("hankinta", "procurement"),
    ("hankinnan", "procurement"),
    ("hankintoja", "procurement"),
    ("palveluhankinnat", "procurement"),
    ("terveys", "health"),
    ("terveyden", "health"),
    ("terveyttä", "health"),
    ("tila", "space"),
    ("kouluverkko", "school_network"),
    ("kouluverkon", "school_network"),
    ("hajun", "smell"),
    ("hajuja", "smell"),
    ("hajuhaitat", "smell"),
    ("laitteen", "device"),
    ("laitteita", "device"),
    ("liikkeen", "device"),
];

/// Finnish words that must not match the given concept.
const FI_NEAR_MISSES: &[(&str, &str)] = &[
    ("koulutus", "school"),
    ("koulutuksen", "school"),
    ("kouluttaja", "school"),
    ("koulutetaan", "school"),
    ("kotitalous", "daycare"),
    ("kirjastonhoitaja", "library"),
    ("maksaa", "fee"),
    ("maksetaan", "fee"),
    ("maksuton", "fee"),
    ("hintainen", "price"),
    ("perheenjäsen", "family"),
    ("katujen", "space"),
    ("tilanne", "space"),
    ("tilasto", "space"),
    ("tilaaja", "space"),
    ("asemakaavoitus", "zoning"),
    ("hankkia", "procurement"),
    ("avustaja", "grant"),
    ("terveydenhoitaja", "health"),
    ("lapsilisä", "child"),
    ("nuorisotyö", "youth_facility"),
    ("vanhuspalvelut", "older"),
    ("kadunnimi", "street"),
    ("muutoksenhaku", "smell"),
    ("hakuaika", "smell"),
    ("potilaiden", "device"),
];

const SV_POSITIVE: &[(&str, &str)] = &[
    ("skola", "school"),
    ("skolan", "school"),
    ("skolor", "school"),
    ("skolorna", "school"),
    ("närskolan", "school"),
    ("grundskolor", "school"),
    ("skolans", "school"),
    ("daghem", "daycare"),
    ("daghemmet", "daycare"),
    ("daghemmen", "daycare"),
    ("avgift", "fee"),
    ("avgiften", "fee"),
    ("avgifter", "fee"),
    ("klientavgifterna", "fee"),
    ("bibliotek", "library"),
    ("biblioteket", "library"),
    ("biblioteken", "library"),
    ("stadsbiblioteket", "library"),
    ("barn", "child"),
    ("barnen", "child"),
    ("barnens", "child"),
    ("äldre", "older"),
];

const SV_NEAR_MISSES: &[(&str, &str)] = &[
    ("skolning", "school"),
    ("bibliotekarie", "library"),
    ("barnslig", "child"),
    ("avgiftsfri", "fee"),
];

fn concepts_of(m: &Matcher, word: &str) -> Vec<String> {
    m.find(word)
        .into_iter()
        .map(|h| h.concept.to_string())
        .collect()
}

/// Each form names its concept and nothing else.
fn assert_each_names(m: &Matcher, forms: &[(&str, &str)]) {
    for (form, concept) in forms {
        assert_eq!(concepts_of(m, form), vec![concept.to_string()], "{form}");
    }
}

/// Recall on the positive list and false-positive rate on the near misses.
fn measure(m: &Matcher, pos: &[(&str, &str)], neg: &[(&str, &str)]) -> (f64, f64, Vec<String>) {
    let mut failures = Vec::new();
    let hits = pos
        .iter()
        .filter(|(w, c)| {
            let ok = concepts_of(m, w).iter().any(|x| x == c);
            if !ok {
                failures.push(format!("missed {w} → {c}"));
            }
            ok
        })
        .count();
    let fps = neg
        .iter()
        .filter(|(w, c)| {
            let bad = concepts_of(m, w).iter().any(|x| x == c);
            if bad {
                failures.push(format!("false {w} → {c}"));
            }
            bad
        })
        .count();
    (
        hits as f64 / pos.len() as f64,
        fps as f64 / neg.len() as f64,
        failures,
    )
}

#[test]
fn finnish_forms_match_with_high_recall_and_few_false_positives() {
    let (recall, fp, failures) = measure(&matcher_fi(), FI_POSITIVE, FI_NEAR_MISSES);
    println!(
        "finnish: {} forms, recall {recall:.3}; {} near misses, false-positive rate {fp:.3}",
        FI_POSITIVE.len(),
        FI_NEAR_MISSES.len()
    );
    // the measured figures: any form that stops matching fails, and only
    // these misses are known (see KNOWN_FI_MISSES)
    assert_eq!(failures, KNOWN_FI_MISSES, "recall {recall:.3}, fp {fp:.3}");
}

/// The Finnish forms the matcher is known to miss; fixing one removes it
/// from here, and a new miss fails the test.
const KNOWN_FI_MISSES: &[&str] = &[
    "missed asemakaavamuutos → zoning",
    "missed hajuhaitat → smell",
];

#[test]
fn swedish_forms_match_with_high_recall_and_few_false_positives() {
    let (recall, fp, failures) = measure(&matcher_sv(), SV_POSITIVE, SV_NEAR_MISSES);
    println!(
        "swedish: {} forms, recall {recall:.3}; {} near misses, false-positive rate {fp:.3}",
        SV_POSITIVE.len(),
        SV_NEAR_MISSES.len()
    );
    assert!(
        failures.is_empty(),
        "recall {recall:.3}, fp {fp:.3}: {failures:#?}"
    );
}

#[test]
fn hit_offsets_are_utf8_byte_offsets_of_the_word() {
    let text = "Ääneen: päiväkodin aukioloajat muuttuvat.";
    let m = matcher_fi();
    let hits = m.find(text);
    let daycare = hits
        .iter()
        .find(|h| h.concept == "daycare")
        .expect("daycare hit");
    assert_eq!(&text[daycare.start..daycare.end], "päiväkodin");
}

#[test]
fn the_longest_match_wins() {
    let m = matcher(
        MorphLanguage::Finnish,
        &[
            ("culture", &["kulttuuri"]),
            ("board", &["kulttuuri- ja vapaa-aikalautakunta"]),
        ],
    );
    let concepts: Vec<String> = m
        .find("Kulttuuri- ja vapaa-aikalautakunnan lausunto kulttuurin rahoituksesta")
        .into_iter()
        .map(|h| h.concept.to_string())
        .collect();
    assert_eq!(concepts, vec!["board".to_string(), "culture".to_string()]);
}

#[test]
fn multiword_terms_match_inflected_words_in_a_row() {
    let text = "Pöytäkirja pidetään yleisesti nähtävänä. Pöytäkirjat yleisesti nähtävänä.";
    let m = matcher_fi();
    let hits: Vec<_> = m
        .find(text)
        .into_iter()
        .filter(|h| h.concept == "minutes_publication")
        .collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        &text[hits[0].start..hits[0].end],
        "Pöytäkirjat yleisesti nähtävänä"
    );
}

#[test]
fn caritive_adjectives_match_their_inflected_forms() {
    let m = matcher(
        MorphLanguage::Finnish,
        &[("homeless", &["asunnoton"]), ("unemployed", &["työtön"])],
    );
    assert_each_names(
        &m,
        &[
            ("asunnoton", "homeless"),
            ("asunnottomien", "homeless"),
            ("asunnottomalle", "homeless"),
            ("työttömät", "unemployed"),
            ("pitkäaikaistyöttömille", "unemployed"),
        ],
    );
    // the noun the adjective is built on is another word
    assert!(concepts_of(&m, "asunnot").is_empty());
}

#[test]
fn swedish_plural_adjectives_in_e_match_their_base() {
    let m = matcher(
        MorphLanguage::Swedish,
        &[("disabled", &["synskadad", "hörselskadad"])],
    );
    assert_each_names(
        &m,
        &[("synskadade", "disabled"), ("hörselskadade", "disabled")],
    );
}

#[test]
fn past_participles_match_their_inflected_forms() {
    let m = matcher(
        MorphLanguage::Finnish,
        &[("migrants", &["maahan muuttanut"])],
    );
    assert_each_names(
        &m,
        &[
            ("maahan muuttanut", "migrants"),
            ("maahan muuttaneet", "migrants"),
            ("maahan muuttaneiden", "migrants"),
            ("maahan muuttaneille", "migrants"),
            ("maahan muuttanutta", "migrants"),
        ],
    );
    assert!(m.find("maahan muuttaa").is_empty());
}

#[test]
fn words_ending_in_a_back_vowel_keep_it_in_every_form() {
    let m = matcher(
        MorphLanguage::Finnish,
        &[("software", &["ohjelmisto"]), ("school", &["koulu"])],
    );
    assert_each_names(
        &m,
        &[
            ("ohjelmiston", "software"),
            ("ohjelmistoja", "software"),
            ("ohjelmistoissa", "software"),
            ("kouluissa", "school"),
            ("lähikouluja", "school"),
        ],
    );
    // `ohjelmista` is `ohjelma` (programmes), not `ohjelmisto` without its -o
    assert!(concepts_of(&m, "ohjelmista").is_empty());
}

#[test]
fn a_term_that_covers_more_of_a_word_wins_over_a_compound_head() {
    let m = matcher(
        MorphLanguage::Swedish,
        &[("daycare", &["förskola"]), ("school", &["skola"])],
    );
    // `förskolan` is the pre-school, not a kind of school; a compound that
    // only the head names still matches the head
    assert_each_names(&m, &[("förskolan", "daycare"), ("byskolan", "school")]);
}

#[test]
fn words_ending_in_si_after_a_vowel_take_their_d_and_t_stems() {
    let m = matcher(
        MorphLanguage::Finnish,
        &[("relocation", &["uusi tila"]), ("water", &["juomavesi"])],
    );
    assert_each_names(
        &m,
        &[
            ("uusi tila", "relocation"),
            ("uuden tilan", "relocation"),
            ("uudet tilat", "relocation"),
            ("uudessa tilassa", "relocation"),
            ("uuteen tilaan", "relocation"),
            ("uusiin tiloihin", "relocation"),
            ("uusissa tiloissa", "relocation"),
            ("juomaveden", "water"),
            ("juomavedessä", "water"),
            ("juomaveteen", "water"),
        ],
    );
    assert!(concepts_of(&m, "juomaveto").is_empty());
}
