"""Measures a Voikko-based matcher on the Finnish rows of matching.tsv, for
comparison with eva's own matcher (tests/api/matching.rs).

Needs Debian's libvoikko1 and voikko-fi and the PyPI packages libvoikko and
PyYAML. Not part of the test suite: run `python3 tests/eval/voikko_compare.py`
from the repository root.

A word matches a concept when one of its Voikko base forms, or the base form
of its last compound part, equals a lexicon term or ends with it (a compound
head of at least four letters). With --base-terms the lexicon terms are
base-formed by Voikko too.
"""

import glob
import re
import sys

import libvoikko
import yaml

voikko = libvoikko.Voikko("fi")


def heads(word):
    out = set()
    for analysis in voikko.analyze(word):
        base = (analysis.get("BASEFORM") or "").lower()
        if base:
            out.add(base)
        parts = re.findall(r"\+([^+(]*)\(([^)]*)\)", analysis.get("WORDBASES") or "")
        if parts:
            out.add(parts[-1][1].lower())
    return out or {word.lower()}


def main():
    base_terms = "--base-terms" in sys.argv
    lexicon = {}
    for path in glob.glob("rules/lexicon/*.yaml"):
        for concept in yaml.safe_load(open(path, encoding="utf-8"))["concepts"]:
            terms = [t.lstrip("=").lower() for t in concept["fi"] if " " not in t and "*" not in t]
            lexicon[concept["id"]] = [heads(t) if base_terms else {t} for t in terms]

    def matches(word, concept):
        for term_forms in lexicon[concept]:
            for t in term_forms:
                for h in heads(word):
                    if h == t or (h.endswith(t) and len(h) - len(t) >= 2 and len(t) >= 4):
                        return True
        return False

    pos = neg = hits = false = 0
    for line in open("tests/eval/matching.tsv", encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        lang, concept, word, expected = line.rstrip("\n").split("\t")
        if lang != "fi":
            continue
        found = matches(word, concept)
        if expected == "yes":
            pos += 1
            hits += found
        else:
            neg += 1
            false += found
    print(f"voikko fi{' (terms base-formed)' if base_terms else ''}: recall {hits / pos:.3f} over {pos}, "
          f"false-positive rate {false / neg:.3f} over {neg}")


if __name__ == "__main__":
    main()
