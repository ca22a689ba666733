"""The one-call Python API of the bundled engine: de-identify a DICOM data set in memory.

::

    from phiphantom.deid import Deidentifier, deidentify, save

    ds = deidentify(pydicom.dcmread("in.dcm"), key=key)   # header + pixels; the same Dataset, changed in place
    save(ds, "out.dcm")                                     # the bytes ``phiphantom deid`` writes for that file

    engine = Deidentifier(key=key, policy="strict")        # checks the settings, loads OCR once
    result = engine.run(ds)                                 # .dataset, .actions, .boxes (each with its reason)

There is no default key: ``key`` (bytes, or a hex string, at least 16 bytes) is required, unless
``ephemeral=True`` asks for a random one-off key (pseudonyms then agree only within that engine).

:func:`deidentify_file` (a path, bytes or Dataset with a :class:`~phiphantom.deid.config.DeidConfig`:
the per-file entry point) and through it the batch runner (``phiphantom deid``), and the benchmark's
``bundled`` engine (one :class:`Deidentifier` built at its start), run on :meth:`Deidentifier.run`, so an
in-memory run gives the same output bytes as the command line for the same file, key and settings.

Threads: a :class:`Deidentifier` may be shared by threads. The OCR engine is one object per
process and is not thread-safe, so the pixel part of every run in the process (cleaning and
``recompress``) holds one lock (runs clean their pixels one at a time; header work runs in parallel).
For parallel pixel work use processes: ``phiphantom deid`` (:func:`phiphantom.deid.batch.deid_batch`)
runs one worker per core.
"""

from __future__ import annotations

import io
import os
import secrets
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from .config import DeidConfig
from .header_deid import DeidError, DeidOptions, HeaderDeidentifier, HeaderResult, attestation
from .keys import MIN_KEY_BYTES, DeidKeyError
from .option_settings import API_SPELLING, option_settings
from .pixels.config import POLICIES, PixelConfig
from .structure import check_structure, prepare_for_writing, reject_dicomdir

if TYPE_CHECKING:  # the pixel stack (OpenCV, OCR) is imported only when pixels are cleaned
    from .pixels.clean import PixelResult
    from .pixels.detect import TextBox

__all__ = ["DeidResult", "Deidentifier", "FileDeid", "deidentify", "deidentify_file", "encode", "read_dicom",
           "save"]

PROFILES = ("basic",)

#: Held while pixels are cleaned: the OCR engine (Tesseract's API object) is one per process and not thread-safe.
_PIXEL_LOCK = threading.Lock()


def _fresh_lock_after_fork() -> None:
    global _PIXEL_LOCK
    _PIXEL_LOCK = threading.Lock()  # a lock held by another thread at fork time would never be released


os.register_at_fork(after_in_child=_fresh_lock_after_fork)


@dataclass
class FileDeid:
    """One file de-identified in memory by :func:`deidentify_file`: the data set and what was done to it."""

    dataset: Dataset
    header: HeaderResult
    pixels: PixelResult | None = None  # when pixel cleaning ran (mode "none": no boxes)
    recompress_note: str = ""     # why --recompress left this output's pixel data as it was ("" when done or not asked)

    def pixel_record(self) -> dict:
        """What the audit says about this output's pixels: search mode and reason, transfer syntax."""
        record = {"transfer_syntax": str(self.dataset.file_meta.TransferSyntaxUID)}
        if self.pixels is not None:
            record.update(pixel_mode=self.pixels.mode, pixel_mode_reason=self.pixels.mode_reason)
        if self.recompress_note:
            record["recompress_note"] = self.recompress_note
        return record

    def pseudonymized_relpath(self) -> str:
        """``<PatientID>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm`` (all pseudonyms)."""
        ds = self.dataset
        parts = [str(ds.get(k, "") or "unknown") for k in ("PatientID", "StudyInstanceUID", "SeriesInstanceUID")]
        return "/".join(parts + [f"{ds.get('SOPInstanceUID', 'unknown')}.dcm"])


def read_dicom(src: Path | bytes) -> Dataset:
    """Read a Part 10 file (a path, or its bytes already in memory) after checking its structure.

    Raises :class:`FileRejected` (DICOMDIR, truncated or malformed element stream) or
    :class:`DeidError` (not Part 10, unreadable, not a composite instance); messages hold no values.
    """
    try:  # a path is mapped, not read: one copy of a big cine
        check_structure(src if isinstance(src, (bytes, bytearray)) else Path(src))
    except (OSError, ValueError, struct.error) as exc:
        raise DeidError(f"unreadable DICOM ({type(exc).__name__})") from None
    try:
        # the structure check already walked every element
        ds = pydicom.dcmread(io.BytesIO(src) if isinstance(src, (bytes, bytearray)) else Path(src), force=False)
    except InvalidDicomError:
        raise DeidError("not a DICOM Part 10 file (no 'DICM' preamble)") from None
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds on bad data; the class name is safe
        raise DeidError(f"unreadable DICOM ({type(exc).__name__})") from None
    reject_dicomdir(ds.file_meta)
    if "SOPInstanceUID" not in ds or "SOPClassUID" not in ds:
        raise DeidError("no SOP Class/Instance UID: not a composite instance")
    return ds


class DeidResult(FileDeid):
    """One de-identified data set and what was done to it (paths, actions and reasons; no values).

    ``dataset``: the de-identified :class:`pydicom.dataset.Dataset` (ready to write, see :func:`save`);
    ``header``: the header result (actions, CID 7050 codes, pseudonym mapping, date shift);
    ``pixels``: the pixel result (``None`` when pixels were not cleaned).
    """

    @property
    def actions(self) -> dict[str, str]:
        """Element path -> PS3.15 action (``X`` removed, ``Z`` emptied, ``D`` dummy, ``U`` new UID, ``K``, ``C``)."""
        return self.header.actions

    @property
    def boxes(self) -> list[TextBox]:
        """Every burned-in text box found (redacted or kept): frames, pixels and ``decision.redact/.reason``."""
        return list(self.pixels.boxes) if self.pixels is not None else []


def _key_bytes(key: bytes | bytearray | str | None, ephemeral: bool) -> tuple[bytes, str]:
    """The key as bytes and its source label (``"api"`` or ``"ephemeral"``); never a default key."""
    if key is not None and ephemeral:
        raise DeidKeyError("give either key=... or ephemeral=True, not both")
    if key is None:
        if ephemeral:
            return secrets.token_bytes(32), "ephemeral"
        raise DeidKeyError("no de-identification key: pass key=... (bytes, or a hex string) or ephemeral=True "
                           "for a random one-off key; there is no default key")
    if isinstance(key, str):
        try:
            data = bytes.fromhex(key.strip())
        except ValueError:
            raise DeidKeyError("a key given as text must be hexadecimal (or pass the key as bytes)") from None
    elif isinstance(key, (bytes, bytearray)):
        data = bytes(key)
    else:
        raise DeidKeyError(f"the key must be bytes or a hex string, not {type(key).__name__}")
    if len(data) < MIN_KEY_BYTES:
        raise DeidKeyError(f"the key is too short: at least {MIN_KEY_BYTES} bytes are needed")
    return data, "api"


def _profile_options(options: Iterable[str], safe_private: Iterable[tuple[str, int]] | None,
                     date_shift_range: tuple[int, int] | None) -> DeidOptions:
    """:class:`DeidOptions` from option names (``retain_uids`` or ``retain-uids``) and their settings."""
    if isinstance(options, str):
        options = options.split(",")
    names, settings = option_settings(
        options, safe_private, date_shift_range, spelled=API_SPELLING,
        read_safe_private=lambda pairs: frozenset((str(creator), int(offset)) for creator, offset in pairs))
    return DeidOptions(options=names, **settings)


def _project_version() -> str:
    from phiphantom.core import __version__  # the project's one version

    return __version__


class Deidentifier:
    """The bundled engine, configured once and reused: PS3.15 Annex E headers and burned-in text.

    Arguments mirror ``phiphantom deid`` (same names, same meaning): ``key`` (bytes or hex, at least
    16 bytes; required unless ``ephemeral=True``), ``policy`` (``strict`` | ``balanced``),
    ``threshold`` (a line of burned-in text is redacted when its score, in [-1, 1], reaches it; ``None``:
    the policy's default), ``header_only``, ``hard``, ``pixels_all_modalities``, ``options`` (PS3.15
    option names such as ``retain_uids``, and ``keep_unknown``), ``safe_private`` (``(creator, offset)`` pairs, with
    ``retain_safe_private``), ``date_shift_range`` (days, with ``retain_long_modified_dates``),
    ``recompress`` (``jpeg-ls`` | ``jpeg2000`` | ``rle``), ``ocr`` (``tesseract`` | ``rapidocr`` |
    ``easyocr``) and ``ner_model`` (a local model folder). Bad settings raise ``ValueError``
    (:class:`~phiphantom.deid.keys.DeidKeyError` for the key) before any file is touched; the OCR
    backend is loaded here, once per process, so that a missing one fails at once (``OCRUnavailable``).

    Thread-safe (see the module docstring: pixel cleaning runs one file at a time per process).
    """

    def __init__(self, key: bytes | str | None = None, *, ephemeral: bool = False, policy: str = "strict",
                 threshold: float | None = None, header_only: bool = False, hard: bool = False,
                 pixels_all_modalities: bool = False,
                 options: Iterable[str] = (), safe_private: Iterable[tuple[str, int]] | None = None,
                 date_shift_range: tuple[int, int] | None = None, recompress: str | None = None,
                 ocr: str = "tesseract", ner_model: Path | str | None = None, profile: str = "basic") -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}")
        if threshold is not None and header_only:
            raise ValueError("threshold sets how pixels are cleaned: not with header_only=True")
        key_bytes, source = _key_bytes(key, ephemeral)
        pixels = None if header_only else PixelConfig(policy=policy, threshold=threshold, ocr=ocr, hard=hard,
                                                       all_modalities=pixels_all_modalities,
                                                       ner_model=str(ner_model) if ner_model else None)
        self.config = DeidConfig(key=key_bytes, options=_profile_options(options, safe_private, date_shift_range),
                                 key_source=source, pixels=pixels, recompress=recompress)
        self.version = _project_version()
        self._load_tools()

    @classmethod
    def from_config(cls, config: DeidConfig, version: str = "", *, load_tools: bool = True) -> Deidentifier:
        """An engine for an existing :class:`DeidConfig` (``version``: the tool version in the attestation).

        ``load_tools=False`` defers loading OCR to the first file with pixels to clean."""
        engine = cls.__new__(cls)
        engine.config = config
        engine.version = version or _project_version()
        if load_tools:
            engine._load_tools()
        return engine

    def __repr__(self) -> str:
        return f"Deidentifier(config={self.config!r})"  # DeidConfig leaves the key out of its repr

    def _load_tools(self) -> None:
        """Load the OCR backend into the process cache (a missing one fails now, not per file) and the
        recognisers' tables (name lists, clinical term index: built on first use otherwise, which made the
        first file of a run 0.3 s slower); a NER model is loaded with the first file that has pixels to
        clean, then kept for the process."""
        if self.config.pixels is None:
            return
        from phiphantom.core.ocr import get_backend

        from .pixels.classify import load_recognisers

        get_backend(self.config.pixels.ocr)
        load_recognisers()

    def run(self, src: Dataset | Path | str | bytes) -> DeidResult:
        """De-identify ``src``: a :class:`~pydicom.dataset.Dataset` (changed in place and returned as
        ``result.dataset``), or a Part 10 file's path or bytes (read after a structure check).

        Raises :class:`~phiphantom.deid.header_deid.DeidError` (or
        :class:`~phiphantom.deid.structure.FileRejected`) for a file that cannot be de-identified; no
        message quotes a value. After an error an in-place Dataset is partly changed: do not use it.
        """
        config = self.config
        if isinstance(src, Dataset):
            ds = src
            reject_dicomdir(getattr(ds, "file_meta", None) or {})
            if "SOPInstanceUID" not in ds or "SOPClassUID" not in ds:
                raise DeidError("no SOP Class/Instance UID: not a composite instance")
        else:
            ds = read_dicom(src if isinstance(src, (bytes, bytearray)) else Path(src))
        values = None
        has_pixels = "PixelData" in ds  # nothing burned in to clean without pixel data (BurnedInAnnotation left alone)
        if config.pixels is not None and has_pixels:  # the pixel stack (OpenCV, OCR) is loaded only when needed
            from .pixels.classify import HeaderValues
            from .pixels.modality import choose_mode

            mode, mode_reason = choose_mode(ds, config.pixels.all_modalities)  # by SOP class and modality
            values = HeaderValues.from_dataset(ds)  # before the header is cleaned
        header = HeaderDeidentifier(config.options, config.pseudonymizer, ds).run(ds)
        pixels = None
        if values is not None and config.pixels is not None:  # values are read only when pixels are cleaned
            from .pixels.clean import PixelResult, clean_pixels
            from .pixels.modality import NONE

            if mode == NONE:
                pixels = PixelResult(mode=NONE, mode_reason=mode_reason)
            else:
                with _PIXEL_LOCK:
                    pixels = clean_pixels(ds, values, config.pixels, mode, mode_reason)
        attestation(ds, config.options, pixel_cleaned=bool(pixels and pixels.verified), result=header,
                    version=self.version)
        header.actions.update({path: "X" for path in prepare_for_writing(ds)})
        note = ""
        if config.recompress is not None and "PixelData" in ds:
            from .pixels.recompress import recompress

            with _PIXEL_LOCK:  # codecs and their decode check: one file at a time, like the pixel cleaning
                _, note = recompress(ds, config.recompress)
        return DeidResult(ds, header, pixels, note)


def deidentify_file(src: Path | bytes | Dataset, config: DeidConfig, version: str = "") -> FileDeid:
    """De-identify ``src`` (a path, the file's bytes, or a :class:`Dataset`, changed in place) in memory;
    the caller writes ``FileDeid.dataset``. The work is :meth:`Deidentifier.run`."""
    return Deidentifier.from_config(config, version, load_tools=False).run(src)


def deidentify(ds: Dataset, key: bytes | str | None = None, **settings) -> Dataset:
    """De-identify ``ds`` in memory (header and burned-in text) and return it (the same object, changed).

    ``settings`` are :class:`Deidentifier`'s (``policy``, ``header_only``, ``options``...). For many
    files build one :class:`Deidentifier` and call :meth:`Deidentifier.run` (settings checked once).
    """
    return Deidentifier(key, **settings).run(ds).dataset


def encode(ds: Dataset) -> bytes:
    """The Part 10 bytes of a de-identified data set, exactly as ``phiphantom deid`` writes them."""
    from pydicom.filewriter import dcmwrite

    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def save(ds: Dataset, path: Path | str) -> Path:
    """Write a de-identified data set to ``path`` (the bytes of :func:`encode`); return the path."""
    path = Path(path)
    path.write_bytes(encode(ds))
    return path
