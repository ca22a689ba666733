"""What each gallery engine must score, derived from the metric definitions in docs/metrics.md, not from a run.

Exact values follow from a definition and the dataset's own ground truth (counted here from ``gt/``, the
manifest and the input headers, independently of the scorer); ranges are used only where a reading by OCR
decides (residual PHI of text left readable) or where the value depends on the image content. Every check is
``lo <= got <= hi`` (``None`` for both: the metric must be ``null``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pydicom

from .gallery import read_phi_boxes

EPS = 1e-6  # results.json rounds ratios to 6 decimals


@dataclass(frozen=True)
class Expect:
    """One expected metric value: ``lo <= value <= hi``; ``lo = hi = None``: the metric is null."""

    metric: str
    lo: float | None
    hi: float | None
    why: str

    def text(self) -> str:
        if self.lo is None and self.hi is None:
            return "null"
        if self.lo == self.hi:
            return f"{self.lo:g}"
        return f"[{self.lo:g}, {self.hi:g}]"

    def holds(self, got: object) -> bool:
        if self.lo is None and self.hi is None:
            return got is None
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return False
        return (self.lo is None or got >= self.lo - EPS) and (self.hi is None or got <= self.hi + EPS)


def exact(metric: str, value: float | None, why: str) -> Expect:
    return Expect(metric, value, value, why)


@dataclass(frozen=True)
class Facts:
    """Counts of the dataset the expectations need (no PHI: counts and shares only)."""

    files: int
    phi_boxes: int
    first_frame_boxes: int      # PHI boxes burned into frame 0 only
    phi_box_frames: int
    phi_boxes_on_frame0: int    # PHI boxes whose range holds frame 0
    family_name_files: int      # files whose input PatientName has a family name of >= 3 characters
    patients: int
    single_file_patients: int
    date_judged_patients: int   # patients with >= 2 distinct input StudyDates
    uid_groups: int             # distinct input Study + Series Instance UIDs
    single_file_uid_groups: int


def dataset_facts(root: Path) -> Facts:
    """Count what the expectations need from ``gt/``, ``manifest.json`` and the input headers."""
    boxes = [b for bs in read_phi_boxes(root).values() for b in bs]
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    files_by_patient: dict[str, int] = defaultdict(int)
    dates: dict[str, set[str]] = defaultdict(set)
    uid_users: dict[tuple[str, str], int] = defaultdict(int)
    family = 0
    for entry in manifest["files"]:
        patient = str(entry.get("patient_key", ""))
        files_by_patient[patient] += 1
        ds = pydicom.dcmread(root / entry["relpath"], stop_before_pixels=True)
        family += len(str(ds.get("PatientName", "")).split("^")[0].strip()) >= 3
        if ds.get("StudyDate"):
            dates[patient].add(str(ds.StudyDate))
        for key in ("StudyInstanceUID", "SeriesInstanceUID"):
            if ds.get(key):
                uid_users[(key, str(ds.get(key)))] += 1
    return Facts(
        files=len(manifest["files"]), phi_boxes=len(boxes),
        first_frame_boxes=sum(1 for b in boxes if (b.start, b.end) == (0, 1)),
        phi_box_frames=sum(b.end - b.start for b in boxes),
        phi_boxes_on_frame0=sum(1 for b in boxes if b.start == 0 < b.end),
        family_name_files=family, patients=len(files_by_patient),
        single_file_patients=sum(1 for n in files_by_patient.values() if n == 1),
        date_judged_patients=sum(1 for d in dates.values() if len(d) >= 2),
        uid_groups=len(uid_users), single_file_uid_groups=sum(1 for n in uid_users.values() if n == 1),
    )


def _oracle_pixels(why: str = "PHI boxes filled flat on every frame (the oracle's pixels)") -> list[Expect]:
    return [exact("box_recall", 1.0, why), exact("residual_phi_boxes", 0, "removed boxes are not read"),
            exact("clinical_preservation", 1.0, "only PHI boxes touched"),
            exact("image_damage", 0.0, "no image pixel outside a text box touched")]


def _intact_headers() -> list[Expect]:
    return [exact("leaks", 0, "oracle headers"), exact("valid_files", 1.0, "pydicom reads and decodes every output"),
            exact("files_failed", 0, "every file written")]


def _readable(rate_lo: float, why: str) -> list[Expect]:
    return [exact("box_recall", 0.0, why), exact("frame_recall", 0.0, why),
            Expect("residual_phi_rate", rate_lo, 1.0, "text left readable: OCR reads most of it (range)"),
            exact("clinical_preservation", 1.0, "clinical ink changed by less than max(6, s/2)"),
            exact("image_damage", 0.0, "no image pixel changed by more than 10")]


def ratio(part: int, whole: int) -> float | None:
    """``part / whole``, or None (the metric is null) when ``whole`` is 0."""
    return part / whole if whole else None


def expectations(facts: Facts) -> dict[str, list[Expect]]:
    """Engine name -> its checks (see the module docstring and docs/benchmark.md, section Self-test)."""
    f = facts
    return {
        "oracle": _oracle_pixels() + _intact_headers() + [
            exact("frame_recall", 1.0, "every PHI box-frame filled"),
            exact("tag_coverage", 1.0, "Annex E Basic Profile"),
            exact("pseudonym_consistency", 1.0, "deid_id per patient"),
            exact("uid_consistency", 1.0, "hashed UIDs keep the groups"),
            exact("date_interval_consistency", None, "Annex E empties StudyDate (Z): nothing to judge")],
        "flat-fill": _oracle_pixels("a fill of any colour is flat (std < 1.5): destroyed"),
        "noise": _readable(0.8, "|out - in| <= 3 < 6 and the box is not flat") + _intact_headers(),
        "dimmed-ink": _readable(0.7, "|out - in| = 0.4 s < max(6, s/2)"),
        "right-half": [
            Expect("box_recall", 0.0, 0.1, "the left half's strong ink is unchanged (> 2% of it)"),
            Expect("residual_phi_rate", 0.3, 0.9, "a token left of the fill is read (token rule; range: OCR)"),
            Expect("residual_phi_boxes_whole", 0, 0.15 * f.phi_boxes,
                   "half a line is below 0.8 similarity to the whole line"),
            exact("clinical_preservation", 1.0, "only PHI boxes touched"),
            exact("image_damage", 0.0, "no image pixel outside a text box touched")],
        "first-frame-only": [
            exact("box_recall", ratio(f.first_frame_boxes, f.phi_boxes), "removed on every frame = range is frame 0"),
            exact("frame_recall", ratio(f.phi_boxes_on_frame0, f.phi_box_frames),
                  "one box-frame removed per box holding frame 0"),
            exact("clinical_preservation", 1.0, "only PHI boxes touched"),
            exact("image_damage", 0.0, "no image pixel outside a text box touched")],
        "image-destroyed": [
            exact("box_recall", 1.0, "|out - in| >= 127.5 >= max(6, s/2) on every pixel"),
            exact("residual_phi_boxes", 0, "removed boxes are not read"),
            exact("clinical_preservation", 0.0, "every strong-ink pixel changed"),
            exact("label_preservation", 0.0, "every strong-ink pixel changed"),
            exact("image_damage", 1.0, "|out - in| >= 127.5 > 10 on every image pixel")] + _intact_headers(),
        "black-frames": [
            exact("box_recall", 1.0, "a flat fill (0) is destroyed"), exact("residual_phi_boxes", 0, "nothing read"),
            Expect("image_damage", 0.01, 1.0, "image pixels brighter than 10 are damaged (depends on the image)")],
        "family-name-left": [
            exact("leaks", f.family_name_files, "one PatientName leak per file (family name of >= 3 characters)"),
            exact("files_with_leaks", f.family_name_files, "that leak is each file's only one"),
            exact("pseudonym_consistency", 1.0, "the name is the same in a patient's files; the ID is the oracle's"),
            exact("box_recall", 1.0, "oracle pixels")],
        "per-file-pseudonyms": [
            exact("pseudonym_consistency", ratio(f.single_file_patients, f.patients),
                  "only a patient with one file keeps one PatientID"),
            exact("leaks", 0, "pseudonyms are not PHI")],
        "per-file-date-shift": [
            exact("date_interval_consistency", 0.0 if f.date_judged_patients else None,
                  "each file shifted by another number of days: intervals change")],
        "per-patient-date-shift": [
            exact("date_interval_consistency", 1.0 if f.date_judged_patients else None,
                  "one shift per patient keeps intervals")],
        "random-uids": [
            exact("uid_consistency", ratio(f.single_file_uid_groups, f.uid_groups),
                  "only a UID group of one file stays one group")],
        "undecodable": [
            exact("files_failed", f.files, "every output cut short"), exact("valid_files", 0.0, "none decodes"),
            exact("box_recall", 0.0, "a failed file's boxes are not removed"),
            exact("residual_phi_boxes", f.phi_boxes, "a failed file's PHI boxes all count as residual"),
            exact("clinical_preservation", 0.0, "a failed file preserves nothing"),
            exact("image_damage", 1.0, "a failed file's image pixels all count as damaged")],
    }
