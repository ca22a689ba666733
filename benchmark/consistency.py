"""Dataset-level header consistency: pseudonyms, UID linkage, date intervals (docs/metrics.md).

Input: ``(patient_key, HeaderFileScore)`` pairs, one per file, failed files
included. Only the ``input_view``/``output_view`` dicts and the ``failed`` flag are
used; nothing here keeps or returns a PHI value, only shares and counts.

A failed file (no output, or an output that is not readable DICOM) has nothing to
measure, so it scores the worst case: its patient is not pseudonym- or
date-consistent and its UID groups are not preserved; a metric is ``0`` rather
than ``None`` when only failed files would have been judged.

Rules where docs/metrics.md leaves room:

* **Pseudonyms.** A patient is consistent when all its output files carry one
  non-empty PatientID and one PatientName (an absent/empty name counts as a value,
  so consistently removed names are fine) and no other patient's output carries
  that PatientID. Empty/absent PatientIDs cannot tell patients apart: such a
  patient is inconsistent. ``None`` when no output file carries a PatientID at
  all (the engine removes IDs instead of pseudonymising: nothing to judge).
* **UIDs.** For StudyInstanceUID, SeriesInstanceUID and the
  ReferencedSOPInstanceUID of ReferencedPatientSequence item 0, files are grouped
  by their input value. A group is preserved when all its files share one
  non-empty output value that no file of another input group (same attribute)
  carries. A group whose files *all* lack the attribute in the output (the engine
  removed it, as Annex E does for ReferencedPatientSequence) is not judged. The
  result is the share of preserved groups over the judged groups of all three
  attributes; ``None`` when none is judged.
* **Dates.** Patients with >= 2 distinct valid input StudyDates are judged. A
  patient is consistent when every file has a valid output StudyDate, each input
  date maps to one output date, and the day differences between the sorted
  distinct input dates are unchanged. ``None`` when no judged patient has any
  output StudyDate (dates removed) or no patient has >= 2 dates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from .header_metrics import HeaderFileScore

__all__ = ["UID_KEYS", "consistency", "da_ordinal", "date_interval_consistency", "pseudonym_consistency",
           "uid_consistency"]

#: View keys whose input values define the UID groups.
UID_KEYS = ("StudyInstanceUID", "SeriesInstanceUID", "ReferencedPatientUID")

Pair = tuple[str, HeaderFileScore]


def _ratio(good: int, total: int) -> float | None:
    return good / total if total else None


def pseudonym_consistency(pairs: Iterable[Pair]) -> tuple[float | None, int]:
    """(share of consistent patients or None, number of patients)."""
    ids: dict[str, set] = defaultdict(set)
    names: dict[str, set] = defaultdict(set)
    failed: set[str] = set()
    for patient, score in pairs:
        if score.failed:
            failed.add(patient)
            ids.setdefault(patient, set())  # counted, judged inconsistent
            continue
        ids[patient].add(score.output_view.get("PatientID"))
        names[patient].add(score.output_view.get("PatientName"))
    patients = len(ids)
    if not any(v for values in ids.values() for v in values) and len(failed) < patients:
        return None, patients
    owners: dict[str, set[str]] = defaultdict(set)
    for patient, values in ids.items():
        for value in values:
            owners[value].add(patient)
    good = sum(
        1 for patient, values in ids.items()
        if patient not in failed and len(values) == 1 and None not in values and len(names[patient]) == 1
        and owners[next(iter(values))] == {patient}
    )
    return _ratio(good, patients), patients


def uid_consistency(pairs: Iterable[Pair]) -> tuple[float | None, int]:
    """(share of preserved input UID groups or None, number of judged groups)."""
    pairs = list(pairs)
    good = judged = 0
    for key in UID_KEYS:
        groups: dict[str, list] = defaultdict(list)
        broken: set[str] = set()  # input groups holding a failed file: judged, never preserved
        for _, score in pairs:
            value = score.input_view.get(key)
            if value:
                groups[value].append(None if score.failed else score.output_view.get(key))
                if score.failed:
                    broken.add(value)
        users: dict[str, set[str]] = defaultdict(set)  # output value -> input groups using it
        for input_value, outputs in groups.items():
            for output_value in outputs:
                if output_value:
                    users[output_value].add(input_value)
        for input_value, outputs in groups.items():
            if not any(outputs) and input_value not in broken:
                continue  # attribute removed from every file of the group: not judged
            judged += 1
            if input_value in broken:
                continue
            distinct = set(outputs)
            if len(distinct) == 1 and None not in distinct and users[next(iter(distinct))] == {input_value}:
                good += 1
    return _ratio(good, judged), judged


def da_ordinal(value: str | None) -> int | None:
    """Day number of a DA ``YYYYMMDD`` (None when empty or not a date)."""
    text = (value or "").strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:])).toordinal()
    except ValueError:
        return None


def date_interval_consistency(pairs: Iterable[Pair]) -> float | None:
    """Share of judged patients (>= 2 input StudyDates) whose date intervals survive; see module doc."""
    mapping: dict[str, dict[int, set]] = defaultdict(lambda: defaultdict(set))
    failed: set[str] = set()
    for patient, score in pairs:
        day_in = da_ordinal(score.input_view.get("StudyDate"))
        if day_in is not None:
            mapping[patient][day_in].add(None if score.failed else da_ordinal(score.output_view.get("StudyDate")))
            if score.failed:
                failed.add(patient)
    judged = {p: m for p, m in mapping.items() if len(m) >= 2}
    if not any(d is not None for m in judged.values() for outs in m.values() for d in outs) \
            and not failed & judged.keys():
        return None
    good = 0
    for days in judged.values():
        if any(len(outs) != 1 or None in outs for outs in days.values()):
            continue
        ordered = sorted(days)
        first_out = next(iter(days[ordered[0]]))
        if all(next(iter(days[d])) - first_out == d - ordered[0] for d in ordered):
            good += 1
    return _ratio(good, len(judged))


def consistency(pairs: list[Pair]) -> dict:
    """All three consistency metrics for one engine's outputs (one pair per file)."""
    pseudonym, patients = pseudonym_consistency(pairs)
    uid, groups = uid_consistency(pairs)
    return {
        "pseudonym_consistency": pseudonym,
        "uid_consistency": uid,
        "date_interval_consistency": date_interval_consistency(pairs),
        "patients": patients,
        "uid_groups": groups,
    }
