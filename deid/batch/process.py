"""One input file of a ``phiphantom deid`` run, in a worker: read, de-identify, write the output into the
staging folder after re-reading its encoded bytes as a check; a result dict that never holds a value.

See "Writing OUT" in the docstring of :mod:`phiphantom.deid.batch`.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import cast

from phiphantom.core.detections import DetectionRow

from ..api import deidentify_file
from ..header_deid import DeidError
from ..path_phi import name_carries_phi
from ..pixels.config import PixelConfig
from ..structure import FileRejected, top_level_values
from .outputs import describe_os_error, unlink_quietly
from .plan import BatchUsageError, Plan

WITHHELD = "details withheld (the message may quote values from the file)"
#: A path component made by the pseudonymized layout: pseudonyms and UIDs only.
_SAFE_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()



def output_relpath(relpath: str, deid, layout: str) -> str:
    """Where an output goes: the input's relative path, or the pseudonymized path (checked to be plain names)."""
    if layout == "keep":
        return relpath
    out = deid.pseudonymized_relpath()
    parts = out.split("/")
    if not all(_SAFE_COMPONENT.fullmatch(p) and p not in (".", "..") for p in parts):
        raise FileRejected("UnsafeOutputPath", "a pseudonymized path component is not a plain name")
    return out


_SOP_INSTANCE_UID, _PATIENT_IDENTITY_REMOVED = 0x00080018, 0x00120062


def write_verified(ds, tmp: Path) -> str:
    """Encode ``ds``, re-read the encoded bytes as a check, write them to ``tmp``; return their sha256.

    The check walks every element of the very bytes that are written (from memory, so the file is
    written once): each must end inside the file, and the data set must say Patient Identity Removed
    YES with the SOP Instance UID of the de-identified instance.
    """
    from pydicom.filewriter import dcmwrite

    expected_sop = str(ds.SOPInstanceUID)
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    data = buffer.getbuffer()
    try:
        # the encoded bytes, read in place (a memoryview: no copy of a big cine)
        values = top_level_values(cast(bytes, data), (_SOP_INSTANCE_UID, _PATIENT_IDENTITY_REMOVED))
        ok = values[_PATIENT_IDENTITY_REMOVED] == "YES" and values[_SOP_INSTANCE_UID] == expected_sop
    except Exception:
        ok = False
    if not ok:
        raise FileRejected("OutputCheckFailed", "the written output did not re-read as the de-identified instance")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        unlink_quietly(tmp)
        raise FileRejected(type(exc).__name__,
                           f"could not write the temporary output file ({describe_os_error(exc)})") from None
    return hashlib.sha256(data).hexdigest()


def _resumable(record: dict | None, input_sha: str, out_dir: Path, relpath: str) -> bool:
    """Whether a state record still describes a complete output for this exact input.

    ``relpath`` is the output path of a keep-layout record (the state does not store input names)."""
    if not record or record.get("input_sha256") != input_sha:
        return False
    out_rel = str(record.get("output") or relpath)
    parts = out_rel.split("/")
    if not out_rel or any(p in ("", ".", "..") for p in parts):
        return False
    target = out_dir / out_rel
    try:
        return target.is_file() and not target.is_symlink() and sha256_file(target) == record.get("output_sha256")
    except OSError:
        return False


def check_pixel_tools(pixels: PixelConfig) -> None:
    """Load the OCR engine (and NER model) once before the workers fork: clear usage errors, warm caches."""
    from phiphantom.core.ocr import OCRUnavailable, get_backend

    from ..pixels.clean import cached_ner
    from ..pixels.ner import NERUnavailable

    try:
        get_backend(pixels.ocr)
        if pixels.ner_model:
            cached_ner(pixels.ner_model)
    except (OCRUnavailable, NERUnavailable) as exc:
        raise BatchUsageError(str(exc)) from None


def _detections(deid, include_text: bool) -> list[DetectionRow]:
    """detections.csv rows of one output, not yet named (the run names them: ``Records.done``); OCR text only
    when asked (it is PHI)."""
    if deid.pixels is None:
        return []
    return [DetectionRow(file="", frame_start=b.frame_start, frame_end=b.frame_end, x0=b.x0, y0=b.y0, x1=b.x1, y1=b.y1,
                         decision="redact" if b.decision.redact else "keep", reason=b.decision.reason,
                         text=b.text if include_text else "") for b in deid.pixels.boxes]


def process_one(plan: Plan, index: int, relpath: str, record: dict | None) -> dict:
    """De-identify one input into the staging folder; a result dict (never raises, never holds a value)."""
    src = plan.root / relpath
    tmp = plan.staging / f"{index}.part"
    result: dict = {"status": "error", "input_sha256": None}
    keep = plan.config.layout == "keep"
    try:
        try:
            data = src.read_bytes()  # read once: hashed, checked and parsed from memory
        except OSError as exc:
            raise FileRejected(type(exc).__name__, f"could not read the input ({describe_os_error(exc)})") from None
        result["input_sha256"] = input_sha = hashlib.sha256(data).hexdigest()
        if record is not None and _resumable(record, input_sha, plan.out_dir, relpath):
            return {**result, "status": "skipped", "output": record.get("output") or relpath,
                    "output_sha256": record["output_sha256"], "sop": record.get("sop", ""),
                    "name_like_phi": keep and name_carries_phi(relpath, data)}
        deid = deidentify_file(data, plan.config, plan.version)  # structure check, DICOMDIR refusal, meta rebuild
        out_rel = output_relpath(relpath, deid, plan.config.layout)
        if keep:  # the input's name goes to OUT as it is: does it hold values of this header?
            result["name_like_phi"] = name_carries_phi(relpath, data)
        output_sha = write_verified(deid.dataset, tmp)
        actions = dict(deid.header.actions)
        result.update(status="ok", tmp=str(tmp), output=out_rel, output_sha256=output_sha,
                      sop=str(deid.dataset.SOPInstanceUID), actions=actions, codes=list(deid.header.codes),
                      date_shift_applied=deid.header.date_shift_days is not None,
                      unknown_removed=deid.header.unknown_removed,
                      malformed_removed=deid.header.malformed_removed,
                      mapping=deid.header.mapping if plan.want_mapping else None,
                      detections=_detections(deid, plan.include_text),
                      pixels_verified=bool(deid.pixels and deid.pixels.verified), pixels=deid.pixel_record())
        return result
    except Exception as exc:  # every failure becomes a row; only safe messages are kept
        unlink_quietly(tmp)
        if isinstance(exc, FileRejected):
            error_class, message = exc.error_class, str(exc)
        elif isinstance(exc, DeidError):
            error_class, message = type(exc).__name__, str(exc)
        elif isinstance(exc, OSError) and exc.errno:
            error_class, message = type(exc).__name__, f"{WITHHELD}; {describe_os_error(exc)}"
        else:
            error_class, message = type(exc).__name__, WITHHELD
        result.update(status="error", error_class=error_class, message=message)
        return result
