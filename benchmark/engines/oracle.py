"""The ``oracle`` engine: perfect de-identification, read straight from the ground truth.

It is the ceiling of every metric and the benchmark's own self-test: if the
oracle does not score 1.0, the scorer (or the ground truth) is wrong. It reads
``gt/`` under ``context.data_dir`` (which no real engine may do) and

* **pixels** -- fills the tight box ``[bbox_x, bbox_x + bbox_w) x [bbox_y,
  bbox_y + bbox_h)`` of every PHI box (``is_phi == "1"`` in
  ``gt/boxes.csv``) with 0 on every frame of ``[frame_start, frame_end)``
  and touches no other pixel. JPEG Baseline inputs are decoded with pydicom
  and written back uncompressed (Explicit VR Little Endian; colour as RGB,
  Planar Configuration 0); Lossy Image Compression ``01`` and its ratio and
  method are kept, since the pixels still went through JPEG. Native inputs
  keep their transfer syntax.
* **headers** -- applies the PS3.15 Annex E Basic Profile
  (:func:`phiphantom.core.profile.basic_action`) to every element that has an
  action, at any depth (see :func:`deidentify_dataset`); in the file meta
  only Media Storage SOP Instance UID changes, kept equal to the new SOP
  Instance UID. Patient Name and Patient ID become the patient's stable
  ``deid_id`` from ``gt/identities.csv`` (a dummy, ``D``), so pseudonyms are
  perfectly consistent; Patient Identity Removed is ``YES``.
* **file names** -- a file whose name carries PHI (a ``filename`` row in
  ``gt/tags.csv``) is written as ``US_<first 12 hex of sha256(relpath)>.dcm``
  in the same folder (returned as ``FileResult.output_path``).

Mutations (for the benchmark's own tests: each must cost exactly the metric
it should) are constructor keywords; the registry spec stays plain
``oracle``::

    OracleEngine(skip_boxes={(relpath, "b003")})           # leave that PHI box burned in
    OracleEngine(keep_tags={(relpath, "(0009,1001)")})     # leave that tags.csv value in place
    OracleEngine(keep_tags={(relpath, "filename")})        # keep the PHI file name
    OracleEngine(blank_boxes={(relpath, "b001")})          # also blank that (non-PHI) box
    OracleEngine(black_image=True)                         # also black out the ultrasound image

``relpath`` is the dataset-relative path (``dicom/P00001/ST01/US_0001.dcm``),
``tag_path`` is written as in ``gt/tags.csv``. Keeping a value inside a
sequence keeps the sequence (other elements in it are still de-identified);
keeping a private element keeps its private creator; keeping an overlay
element keeps the whole overlay group.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from phiphantom.core.ground_truth import BoxRow, IdentityRow, TagRow, read_rows
from phiphantom.core.profile import basic_action
from phiphantom.synth.ground_truth import IMAGE_MASK_KEY, read_masks

from .base import BaseEngine, EngineContext, EngineError, FileResult

PATIENT_NAME = 0x00100010
PATIENT_ID = 0x00100020
MEDIA_STORAGE_SOP_INSTANCE_UID = "(0002,0003)"
#: De-identification Method written with Patient Identity Removed = YES (Type 1C then).
DEIDENTIFICATION_METHOD = "PS3.15 Annex E Basic Profile (phiphantom oracle)"

# How a combined Basic Profile action is carried out: the first option, i.e.
# remove where allowed. _IOD_CHOICES overrides it for attributes whose IOD
# type needs a value (Type 1: D) or presence (Type 2: Z) in the US IODs.
_DEFAULT_OUTCOME = {"X": "X", "Z": "Z", "D": "D", "U": "U", "Z/D": "Z",
                    "X/Z": "X", "X/D": "X", "X/Z/D": "X", "X/Z/U*": "X"}
_IOD_CHOICES: dict[int, str] = {}

_TEXT_VRS = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"}
_BINARY_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}
_DUMMY_TEXT = {"AS": "000Y", "DA": "19000101", "DS": "0", "DT": "19000101000000", "IS": "0",
               "TM": "000000", "UR": "urn:anonymized"}
_DUMMY_DEFAULT_TEXT = "ANONYMIZED"  # fits every other text VR (16 chars max for AE/CS/SH)


def hashed_uid(uid: str) -> str:
    """``2.25.`` + decimal sha256 of ``uid``, cut to 64 characters: the same UID gives the same answer."""
    digits = str(int(hashlib.sha256(uid.strip().encode("ascii", "replace")).hexdigest(), 16))
    return "2.25." + digits[: 64 - len("2.25.")]


def renamed_output(relpath: str) -> str:
    """File name the oracle gives a file whose name carries PHI."""
    return f"US_{hashlib.sha256(relpath.encode('utf-8')).hexdigest()[:12]}.dcm"


def tag_text(tag: int) -> str:
    """``(GGGG,EEEE)`` as in ``gt/tags.csv``."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def outcome_for(action: str, tag: int) -> str:
    """The single outcome (``X``, ``Z``, ``D`` or ``U``) the oracle uses for a profile action."""
    choice = _IOD_CHOICES.get(tag)
    if choice is not None and choice in action.replace("U*", "U").split("/"):
        return choice
    return _DEFAULT_OUTCOME[action]


def _base_vr(vr: str) -> str:
    return vr.split(" or ")[0] if vr else "UN"


def empty_value(vr: str):
    """A zero-length value for ``vr``."""
    vr = _base_vr(vr)
    if vr == "SQ":
        return Sequence()
    if vr in _TEXT_VRS:
        return ""
    if vr in _BINARY_VRS:
        return b""
    return None


def dummy_value(vr: str, original=None):
    """A non-empty dummy value valid for ``vr`` (a sequence becomes an empty sequence)."""
    vr = _base_vr(vr)
    if vr == "SQ":
        return Sequence()
    if vr == "UI":
        return hashed_uid(str(original)) if original else "2.25.0"
    if vr in _TEXT_VRS:
        return _DUMMY_TEXT.get(vr, _DUMMY_DEFAULT_TEXT)
    if vr in _BINARY_VRS:
        return b"\x00" * 8
    return 0


def _remapped_uids(value):
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return [hashed_uid(str(v)) if str(v) else "" for v in value]
    return hashed_uid(str(value)) if str(value) else value


def _is_overlay_group(group: int) -> bool:
    return 0x6000 <= group <= 0x601E and group % 2 == 0


def _kept_tags_at(prefix: str, keep: frozenset[str]) -> set[int]:
    """Tags at the level ``prefix`` that are kept or lead to a kept value."""
    tags = set()
    for path in keep:
        if not path.startswith(prefix):
            continue
        head = path[len(prefix):].split(".", 1)[0].split("[", 1)[0]
        if len(head) == 11 and head.startswith("("):
            tags.add(int(head[1:5] + head[6:10], 16))
    return tags


def _names_private(path: str) -> bool:
    """Whether a tag path goes through a private (odd group) element."""
    return any(int(group, 16) % 2 for group in re.findall(r"\(([0-9A-Fa-f]{4}),", path))


def _is_kept_private(tag: int, kept: set[int]) -> bool:
    group, element = tag >> 16, tag & 0xFFFF
    if tag in kept:
        return True
    if 0x0010 <= element <= 0x00FF:  # a private creator: kept with any kept element of its block
        return any(k >> 16 == group and (k & 0xFFFF) >> 8 == element for k in kept)
    return False


def deidentify_dataset(ds: Dataset, pseudonym: str, keep: frozenset[str] = frozenset(), prefix: str = "") -> None:
    """Apply the Basic Profile to ``ds`` in place, recursively; see the module docstring.

    ``keep`` holds ``gt/tags.csv`` tag paths to leave untouched (mutations);
    ``prefix`` is the path of ``ds`` itself (``""`` at top level).
    """
    kept = _kept_tags_at(prefix, keep)
    for elem in list(ds):
        tag = int(elem.tag)
        path = prefix + tag_text(tag)
        if path in keep:
            continue
        if elem.tag.is_private:
            if not _is_kept_private(tag, kept):
                del ds[tag]
            continue
        if _is_overlay_group(tag >> 16):
            if not any(k >> 16 == tag >> 16 for k in kept):
                del ds[tag]
            continue
        action = basic_action(tag)
        if action is None or tag in kept:  # kept: an ancestor of a kept value
            if elem.VR == "SQ":
                for index, item in enumerate(elem.value):
                    deidentify_dataset(item, pseudonym, keep, f"{path}[{index}].")
            continue
        if not prefix and tag in (PATIENT_NAME, PATIENT_ID):
            elem.value = pseudonym
            continue
        outcome = outcome_for(action, tag)
        if outcome == "X":
            del ds[tag]
        elif outcome == "Z":
            elem.value = empty_value(elem.VR)
        elif outcome == "D":
            elem.value = dummy_value(elem.VR, elem.value)
        elif outcome == "U":
            elem.value = _remapped_uids(elem.value)
    if not prefix:
        for keyword in ("PatientName", "PatientID"):
            if keyword not in ds and tag_text(PATIENT_NAME if keyword == "PatientName" else PATIENT_ID) not in keep:
                setattr(ds, keyword, pseudonym)
        ds.PatientIdentityRemoved = "YES"
        ds.DeidentificationMethod = DEIDENTIFICATION_METHOD


@dataclass(frozen=True)
class _Box:
    box_id: str
    is_phi: bool
    x: int
    y: int
    w: int
    h: int
    frame_start: int
    frame_end: int


_BOX_COLUMNS = ("output_dicom_relpath", "box_id", "is_phi", "bbox_x", "bbox_y", "bbox_w", "bbox_h", "frame_start",
                "frame_end")  # the gt/boxes.csv columns the oracle reads


@dataclass
class _GroundTruth:
    """The parts of ``gt/`` the oracle needs, indexed by dataset-relative path."""

    root: Path
    boxes: dict[str, list[_Box]]
    phi_filenames: set[str]
    deid_by_mrn: dict[str, str]
    deid_by_patient: dict[str, str]
    files: dict[str, dict]
    relpath_by_sop: dict[str, str]

    @classmethod
    def load(cls, root: Path) -> _GroundTruth:
        gt = root / "gt"
        if not (gt / "boxes.csv").is_file():
            raise EngineError("the oracle needs the ground truth: no gt/boxes.csv under the dataset")
        boxes: dict[str, list[_Box]] = {}
        for row in read_rows(gt / "boxes.csv", BoxRow, _BOX_COLUMNS):
            boxes.setdefault(row.output_dicom_relpath, []).append(_Box(
                row.box_id, row.phi, *row.bbox, row.frames.start, row.frames.stop))
        phi_filenames = {row.file for row in read_rows(gt / "tags.csv", TagRow, ("file", "tag_path"))
                         if row.tag_path == "filename"}
        identities = read_rows(gt / "identities.csv", IdentityRow, ("patient_key", "deid_id", "mrn"))
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        files = {entry["relpath"]: entry for entry in manifest["files"]}
        return cls(
            root=root,
            boxes=boxes,
            phi_filenames=phi_filenames,
            deid_by_mrn={row.mrn: row.deid_id for row in identities},
            deid_by_patient={row.patient_key: row.deid_id for row in identities},
            files=files,
            relpath_by_sop={entry["sop_instance_uid"]: relpath for relpath, entry in files.items()},
        )


def _as_pairs(items) -> frozenset[tuple[str, str]]:
    return frozenset((str(a), str(b)) for a, b in (items or ()))


@dataclass(kw_only=True)
class OracleEngine(BaseEngine):
    """Perfect de-identification from the ground truth, with optional mutations (module docstring)."""

    name: str = "oracle"
    skip_boxes: frozenset[tuple[str, str]] = frozenset()   # (relpath, box_id): PHI boxes left burned in
    keep_tags: frozenset[tuple[str, str]] = frozenset()    # (relpath, tag_path): values left in place
    blank_boxes: frozenset[tuple[str, str]] = frozenset()  # (relpath, box_id): extra boxes to blank
    black_image: bool = False                              # also set the image mask to 0
    _gt: _GroundTruth | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.skip_boxes = _as_pairs(self.skip_boxes)
        self.keep_tags = _as_pairs(self.keep_tags)
        self.blank_boxes = _as_pairs(self.blank_boxes)
        self.black_image = bool(self.black_image)
        # Counts only: relative paths may carry PHI.
        self.config = {"skip_boxes": len(self.skip_boxes), "keep_tags": len(self.keep_tags),
                       "blank_boxes": len(self.blank_boxes), "black_image": self.black_image}

    def start(self, context: EngineContext) -> None:
        super().start(context)
        self._gt = _GroundTruth.load(Path(context.data_dir))

    # -- per file -------------------------------------------------------------

    def process_file(self, src: Path, dst: Path) -> FileResult | None:
        if self._gt is None:
            raise EngineError("the oracle was not started")
        ds = pydicom.dcmread(src)
        relpath = self._relpath(Path(src), ds)
        pseudonym = self._pseudonym(relpath, ds)
        self._redact_pixels(ds, relpath)
        keep = frozenset(path for rp, path in self.keep_tags if rp == relpath)
        deidentify_dataset(ds, pseudonym, keep)
        if MEDIA_STORAGE_SOP_INSTANCE_UID not in keep and "SOPInstanceUID" in ds:
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        if not any(_names_private(path) for path in keep):
            ds.remove_private_tags()
        out = Path(dst)
        if relpath in self._truth.phi_filenames and "filename" not in keep:
            out = out.with_name(renamed_output(relpath))
        ds.save_as(out, enforce_file_format=True)
        return FileResult(output_path=out) if out != Path(dst) else None

    @property
    def _truth(self) -> _GroundTruth:
        """The ground truth :meth:`start` loaded."""
        if self._gt is None:
            raise EngineError("the oracle was not started: no ground truth loaded")
        return self._gt

    def _relpath(self, src: Path, ds: Dataset) -> str:
        try:
            relpath = src.resolve().relative_to(self._truth.root.resolve()).as_posix()
        except ValueError:
            relpath = ""
        if relpath in self._truth.files:
            return relpath
        by_sop = self._truth.relpath_by_sop.get(str(ds.get("SOPInstanceUID", "")))
        if by_sop is None:
            raise EngineError("the oracle got a file that is not in the dataset's ground truth")
        return by_sop

    def _pseudonym(self, relpath: str, ds: Dataset) -> str:
        deid = self._truth.deid_by_mrn.get(str(ds.get("PatientID", "")))
        if deid is None:
            deid = self._truth.deid_by_patient.get(self._truth.files[relpath].get("patient_key", ""))
        if deid is None:
            raise EngineError("the oracle found no identity for a file")
        return deid

    def _redact_pixels(self, ds: Dataset, relpath: str) -> None:
        boxes = [box for box in self._truth.boxes.get(relpath, [])
                 if (box.is_phi and (relpath, box.box_id) not in self.skip_boxes)
                 or (relpath, box.box_id) in self.blank_boxes]
        compressed = ds.file_meta.TransferSyntaxUID.is_compressed
        if not (boxes or self.black_image or compressed):
            return
        frames = _decoded_frames(ds, as_rgb=compressed)
        for box in boxes:
            frames[box.frame_start:box.frame_end, box.y:box.y + box.h, box.x:box.x + box.w] = 0
        if self.black_image:
            entry = self._truth.files[relpath]
            image = read_masks(self._truth.root / entry["mask_relpath"], entry["columns"])[IMAGE_MASK_KEY]
            frames[:, image] = 0
        _store_frames(ds, frames, from_compressed=compressed)
        phi_left = any(box.is_phi and (relpath, box.box_id) in self.skip_boxes
                       for box in self._truth.boxes.get(relpath, []))
        if "BurnedInAnnotation" in ds and not phi_left:
            ds.BurnedInAnnotation = "NO"


def _decoded_frames(ds: Dataset, as_rgb: bool) -> np.ndarray:
    """Writable ``(frames, rows, columns[, samples])`` array of the stored pixels."""
    ds.pixel_array_options(as_rgb=as_rgb)
    arr = ds.pixel_array
    if not arr.flags.writeable:  # pydicom decodes into a new array; copy only when it did not
        arr = arr.copy()
    if int(ds.get("NumberOfFrames", 1) or 1) == 1:
        arr = arr[np.newaxis]
    return arr


def _store_frames(ds: Dataset, frames: np.ndarray, from_compressed: bool) -> None:
    """Write ``frames`` back as native (uncompressed) Pixel Data, interleaved samples."""
    data = frames.tobytes()
    if len(data) % 2:
        data += b"\x00"
    samples = int(ds.get("SamplesPerPixel", 1))
    if samples > 1:
        ds.PlanarConfiguration = 0
    if from_compressed:
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        if samples == 3:
            ds.PhotometricInterpretation = "RGB"
        del ds["PixelData"]
        ds.add_new(0x7FE00010, "OB" if int(ds.BitsAllocated) <= 8 else "OW", data)
    else:
        ds.PixelData = data
