"""Evidence one recogniser cannot give alone: what the PHI grammar, the name lists and the clinical grammar
found on a line, combined (:func:`combined`, used by :meth:`.classify.Classifier.text_evidence`).

* A lone sex letter ("F", weak on its own: a mode, a scale mark) right beside a name ("SMITH JOHN F",
  "F, Anna Berg") is the patient's sex: the grammar knows no names, the name lists no sexes.
* A line of two or three capitalised words that nothing but the name lists explains ("Olusegun
  Obasanjo", "N'Diaye Awa", "Kwame Mensah") is a name no list holds whole, at the ``balanced`` threshold
  (in capitals it is not: foreign clinical wording in capitals, "BAL LEBENY", is as common).
* A camel-case word the clinical lists hold whole ("ClearVue", "SonoSite") is not two names run together.
"""

from __future__ import annotations

import re

from .evidence import SHAPE_KIND, Evidence

__all__ = ["SEX_BESIDE_NAME_WEIGHT", "SEX_NAME_MIN", "TITLE_CASE_NAME_WEIGHT", "combined"]

#: A lone sex letter right beside a name of at least SEX_NAME_MIN (a surname or given name of the lists, not a
#: word that is also a common noun) is the patient's sex (see _sex_beside_name)
SEX_BESIDE_NAME_WEIGHT = 0.9
SEX_NAME_MIN = 0.45
#: A line of 2-3 capitalised words nothing else explains is a name (see _title_case_names): at the balanced
#: threshold, so balanced removes it
TITLE_CASE_NAME_WEIGHT = 0.5
#: Clinical evidence at least this strong (a listed term, not a weak one) on exactly a word run together from
#: two names takes that reading away (see _listed_words_not_run_together)
LISTED_WEIGHT = -0.7
RUN_TOGETHER = "names:run-together"
_TITLE_WORD = re.compile(r"[A-ZÀ-Þ][a-zß-ÿ]{2,}(?:[-'’][A-ZÀ-Þ]?[a-zß-ÿ]+)?|[A-ZÀ-Þ]['’][A-ZÀ-Þ][a-zß-ÿ]+")


def combined(text: str, found: list[Evidence]) -> list[Evidence]:
    """``found`` (the recognisers' evidence on ``text``) with what their combination adds."""
    return _sex_beside_name(text, _listed_words_not_run_together(found + _title_case_names(text, found)))


def _listed_words_not_run_together(found: list[Evidence]) -> list[Evidence]:
    """``found`` without the name lists' "two names run together" reading of a word the clinical lists hold
    as a whole, not as a weak term ("ClearVue", "SonoSite": product names are written camel-case; a patient's
    "JohnSmith" with its space lost is no listed word)."""
    listed = {(e.start, e.end) for e in found if e.weight <= LISTED_WEIGHT and e.kind != SHAPE_KIND}
    return [e for e in found if not (e.source == RUN_TOGETHER and (e.start, e.end) in listed)]


def _title_case_names(text: str, found: list[Evidence]) -> list[Evidence]:
    """Name evidence for a line of two or three capitalised words that nothing else explains, or only the
    name lists ("Olusegun Obasanjo", "N'Diaye Awa", "Tran Thi Lan", "Kwame Mensah", whose surname alone is
    a rare one): how a name no list holds is printed. Not when any word has evidence other than a name's
    (a clinical term, a date: those recognisers decide), holds a digit or is shorter than three letters.
    Words in capitals are left out: measured on a development pack with Hungarian wording ("BAL LEBENY",
    "KISMEDENCE") they took four clinical lines under ``balanced`` and found no name."""
    words = list(re.finditer(r"\S+", text))
    if not 2 <= len(words) <= 3 or not all(_TITLE_WORD.fullmatch(w.group()) for w in words):
        return []
    if any(e.kind != "name" and e.start < words[-1].end() and e.end > words[0].start() for e in found):
        return []  # a word some other recogniser explains (name evidence on a word agrees: "KWAME MENSAH")
    return [Evidence("name", TITLE_CASE_NAME_WEIGHT, words[0].start(), words[-1].end(), "names:title-case-line")]


def _sex_beside_name(text: str, found: list[Evidence]) -> list[Evidence]:
    """``found`` with a lone sex letter ("F", weak on its own: a mode, a scale mark) made strong when a name
    stands right beside it ("SMITH JOHN F", "F, Anna Berg"): the grammar knows no names, the name lists no
    sexes, and a patient's sex is printed next to the name."""
    names = [e for e in found if e.kind == "name" and e.weight >= SEX_NAME_MIN]
    if not names:
        return found
    out = []
    for ev in found:
        if ev.kind == "sex" and ev.weight < SEX_BESIDE_NAME_WEIGHT and ev.source.endswith(":sex-letter") and any(
                re.fullmatch(r"[\s,;/()]{1,3}", text[n.end:ev.start] if n.end <= ev.start else text[ev.end:n.start])
                for n in names):
            ev = Evidence("sex", SEX_BESIDE_NAME_WEIGHT, ev.start, ev.end, ev.source.replace("letter", "beside-name"))
        out.append(ev)
    return out
