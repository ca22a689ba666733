"""Independent DICOM validators: tiers 2 and 3 of ``phiphantom validate``.

Tier 1 (pydicom) lives elsewhere. The two tiers here deliberately use tools
that share no code with pydicom, so a file that passes all three was read by
three unrelated parsers:

* **Tier 2 — dcmtk (OFFIS).** ``dcmdump`` must parse the *whole* file (file
  meta information, data set, pixel data to the last byte), and a dcmtk image
  converter must decode the pixel data to PGM/PPM, which we compare with what
  the generator meant to write: frame count and geometry always, and for
  lossless transfer syntaxes the SHA-256 of the pixel bytes.
* **Tier 3 — dicom3tools (David Clunie).** ``dciodvfy`` checks the file
  against the IOD tables of the standard (Ultrasound Image / Ultrasound
  Multi-frame Image): missing Type 1/2 attributes, conditions, enumerated
  values, VR syntax.

Every function degrades gracefully when a tool is not installed: the result
has ``ran=False`` and the caller reports the tier as *skipped (not
installed)*. Install them on Debian/Ubuntu with
``apt-get install dcmtk dicom3tools``.

Command lines (checked against dcmtk 3.6.7 and dicom3tools 1.00~20220618):

``dcmdump +fo -M -dc -Un FILE``
    ``+fo`` read a DICOM Part 10 file only (preamble + meta header required),
    ``-M`` do not load long values into memory (their lengths are still
    checked, so truncated pixel data is an error), ``-dc`` no automatic data
    correction, ``-Un`` print UIDs as numbers. Default ``-E`` (stop on error)
    is kept; ``-q`` is *not* used because it would hide the ``E:`` lines.
    Exit status 0 and no ``E:``/``F:`` lines on stderr means the whole file
    parsed. The dump on stdout is parsed only for a few top-level image
    attributes (Rows, Columns, ...); it is never stored, because it holds
    every value in the file, PHI included.

``dcmj2pnm +Fa -O +op FILE OUTDIR/f``  (or ``dcm2pnm`` when dcmj2pnm is absent)
    ``+Fa`` decode all frames (files ``f.0.ppm``, ``f.1.ppm``, ... — 0-based
    counter, dcmtk's default ``+Fc``), ``-O`` do not burn overlay planes (60xx)
    into the output (the stored pixels are what is compared), ``+op`` 8-bit
    binary PGM/PPM. No
    windowing and no scaling are dcmtk's defaults, so 8-bit stored values come
    out unchanged. Colour data in YBR_FULL_422 is converted to RGB (dcmtk's
    default ``+cp``: convert when the Photometric Interpretation says YCbCr).
    With ``all_frames=False`` only ``+F 1`` (the first frame) is decoded.

    In dcmtk <= 3.6.7 ``dcm2pnm`` has **no JPEG codec** (it fails with
    "can't change to unencapsulated representation for pixel data"), and no
    option of it adds one: JPEG decoding is in the separate ``dcmj2pnm``
    binary of the same package (same options, plus ``+cp``/``+cl``/... colour
    conversion and JPEG workarounds). Newer dcmtk (3.6.8+) folded the codecs
    into ``dcm2pnm``. We therefore prefer ``dcmj2pnm`` and fall back to
    ``dcm2pnm``.

``dciodvfy FILE``
    Writes everything to stderr: optional ``Warning - ... needed to build
    DICOMDIR`` lines, the IOD name (e.g. ``USImage``, ``USMultiFrameImage``),
    then ``Error - ...`` / ``Warning - ...`` lines (``Abort - ...`` when it
    cannot even read the file). Its exit status is not a reliable verdict, so
    the verdict is based on the parsed lines only. Some messages echo
    attribute *values* (``DA [1] = <20241399>``, ``Unrecognized enumerated
    value <X> for value 1 of attribute <Patient's Sex>``, ``values are 1\\1``,
    ``Character invalid for this VR = '9' (0x39)``); values may be PHI, so they
    are replaced by ``<…>`` (see :func:`phiphantom.core.messages.redact_message`). Tag, attribute,
    module and macro names are kept.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from phiphantom.core.messages import redact_message

__all__ = [
    "ToolResult",
    "available_tools",
    "frames_sha256",
    "summarise_messages",
    "tier2_check",
    "tier3_check",
]

#: Tools looked up on PATH. ``dcmj2pnm`` is the JPEG-capable twin of
#: ``dcm2pnm`` in dcmtk <= 3.6.7 (same package).
TOOL_NAMES = ("dcmdump", "dcm2pnm", "dcmj2pnm", "dciodvfy")

#: Transfer syntaxes whose pixel data is stored bit-exactly.
_LOSSLESS_TS = {
    "1.2.840.10008.1.2",        # Implicit VR Little Endian
    "1.2.840.10008.1.2.1",      # Explicit VR Little Endian
    "1.2.840.10008.1.2.1.99",   # Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.2",      # Explicit VR Big Endian (retired)
    "1.2.840.10008.1.2.5",      # RLE Lossless
    "1.2.840.10008.1.2.4.57",   # JPEG Lossless
    "1.2.840.10008.1.2.4.70",   # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80",   # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.90",   # JPEG 2000 Lossless
}
_UNCOMPRESSED_TS = {
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.2",
}


@dataclass(frozen=True)
class ToolResult:
    """Outcome of one validator on one file.

    ``ran=False`` means the tool is not installed (or could not be started):
    the caller reports the tier as *skipped*, and ``ok`` carries no meaning
    (it is False). A timeout is ``ran=True, ok=False`` with the error
    ``"timeout"``. Messages never contain attribute values (see
    :func:`phiphantom.core.messages.redact_message`) nor the file's path (replaced by ``<file>``).
    """

    tool: str
    ran: bool
    ok: bool
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    detail: str = ""

    @property
    def skipped(self) -> bool:
        return not self.ran


def available_tools() -> dict[str, str | None]:
    """Path of each external validator on PATH, None when missing.

    Keys: ``dcmdump``, ``dcm2pnm``, ``dcmj2pnm`` (JPEG-capable decoder of
    dcmtk <= 3.6.7), ``dciodvfy``.
    """
    return {name: shutil.which(name) for name in TOOL_NAMES}


def frames_sha256(frames: np.ndarray) -> str:
    """SHA-256 of pixel frames as tier 2 computes it from decoded PNM files.

    ``frames`` is ``(T, h, w)`` or ``(T, h, w, 3)`` uint8 (a single 2-D frame is
    accepted too); bytes are taken in C order, RGB interleaved — i.e.
    ``np.ascontiguousarray(frames, np.uint8).tobytes()``. The generator calls
    this on the lossless frames it writes and hands the hex digest to
    :func:`tier2_check`.
    """
    arr = np.asarray(frames)
    if arr.dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {arr.dtype}")
    return hashlib.sha256(np.ascontiguousarray(arr).data).hexdigest()  # buffer protocol: no copy


def summarise_messages(results: Iterable[ToolResult]) -> dict[str, int]:
    """Count distinct messages over many files.

    Keys are ``"<tool>: Error - <message>"`` / ``"<tool>: Warning - <message>"``;
    values are the number of results (files) in which the message appears (a
    message repeated within one file counts once). Skipped results
    contribute nothing. Sorted by count (descending), then errors before
    warnings, then text.
    """
    counts: Counter[str] = Counter()
    for r in results:
        if not r.ran:
            continue
        keys = {f"{r.tool}: Error - {m}" for m in r.errors}
        keys |= {f"{r.tool}: Warning - {m}" for m in r.warnings}
        counts.update(keys)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], ": Warning - " in kv[0], kv[0])))


# --------------------------------------------------------------------------
# subprocess plumbing


class _Timeout(Exception):
    pass


def _run(cmd: list[str], deadline: float, capture_stdout: bool = True) -> subprocess.CompletedProcess[str]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Timeout
    try:
        return subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=remaining,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise _Timeout from exc


def _dcmtk_messages(stderr: str, path: Path) -> tuple[list[str], list[str]]:
    """Split dcmtk log output (``E:``/``F:``/``W:`` prefixes) into errors and warnings."""
    errors: list[str] = []
    warnings: list[str] = []
    for line in stderr.splitlines():
        line = line.strip()
        if line[:2] in ("E:", "F:"):
            errors.append(redact_message(line[2:].strip(), path))
        elif line[:2] == "W:":
            warnings.append(redact_message(line[2:].strip(), path))
    return errors, warnings


_DUMP_LINE = re.compile(r"^\(([0-9a-f]{4}),([0-9a-f]{4})\) (\w\w) (.*?)\s+#\s*[\w/]+,")
_DUMP_TAGS = {
    ("0002", "0010"): "TransferSyntaxUID",
    ("0008", "0016"): "SOPClassUID",
    ("0028", "0002"): "SamplesPerPixel",
    ("0028", "0004"): "PhotometricInterpretation",
    ("0028", "0008"): "NumberOfFrames",
    ("0028", "0010"): "Rows",
    ("0028", "0011"): "Columns",
    ("0028", "0100"): "BitsAllocated",
}


def _parse_dump(stdout: str) -> dict[str, str]:
    """A few top-level image attributes from a dcmdump listing (no other values kept)."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        if not line.startswith("("):   # nested (sequence item) lines are indented
            continue
        m = _DUMP_LINE.match(line)
        if not m:
            continue
        name = _DUMP_TAGS.get((m.group(1), m.group(2)))
        if name is None or name in found:
            continue
        value = m.group(4).strip()
        if value.startswith("["):
            value = value[1:value.rfind("]")] if "]" in value else value[1:]
        found[name] = value.replace("\x00", "").strip()
    return found


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).split("\\")[0].strip())
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------
# tier 2: dcmtk


def tier2_check(
    path: Path,
    expected_shape: tuple[int, ...] | None = None,
    expected_pixels_sha256: str | None = None,
    timeout: float = 60,
    all_frames: bool = True,
) -> ToolResult:
    """Parse ``path`` with dcmdump and decode its pixels with dcmtk.

    * ``expected_shape`` — ``(T, h, w)`` for grey or ``(T, h, w, 3)`` for colour:
      compared with the header (Rows, Columns, NumberOfFrames,
      SamplesPerPixel as dcmdump read them) and with every decoded frame.
    * ``expected_pixels_sha256`` — hex SHA-256 of all frames as written
      (see :func:`frames_sha256`); only meaningful for lossless transfer
      syntaxes. For a lossy one it is ignored with a warning. Requires
      ``all_frames``.
    * ``all_frames=False`` decodes only the first frame (faster for long
      cines; the frame count is then checked from the header only).
    * ``timeout`` — seconds for the whole check (all tool runs together).

    ``ran=False`` when dcmdump is missing. When no decoder is installed the
    parse check still runs and a warning says decoding was skipped.
    """
    path = Path(path)
    tools = available_tools()
    if tools["dcmdump"] is None:
        return ToolResult("dcmtk", ran=False, ok=False, detail="dcmdump not installed (apt-get install dcmtk)")
    deadline = time.monotonic() + timeout
    errors: list[str] = []
    warnings: list[str] = []
    details: list[str] = []
    tool_label = "dcmtk"

    try:
        # ---- parse the whole file
        proc = _run([tools["dcmdump"], "+fo", "-M", "-dc", "-Un", str(path)], deadline)
        e, w = _dcmtk_messages(proc.stderr, path)
        errors += e
        warnings += w
        if proc.returncode != 0 and not e:
            errors.append(f"dcmdump exited with status {proc.returncode}")
        if errors:
            return ToolResult(tool_label, True, False, tuple(errors), tuple(warnings),
                              "dcmdump could not parse the file")
        header = _parse_dump(proc.stdout)
        del proc
        details.append("dcmdump parsed the file")

        ts = header.get("TransferSyntaxUID", "")
        rows, cols = _int(header.get("Rows")), _int(header.get("Columns"))
        n_frames = _int(header.get("NumberOfFrames")) or 1
        spp = _int(header.get("SamplesPerPixel")) or 1
        bits = _int(header.get("BitsAllocated"))
        if rows is None or cols is None:
            errors.append("dcmdump found no Rows/Columns at the top level")
        lossless = ts in _LOSSLESS_TS

        if expected_shape is not None:
            exp_t, exp_h, exp_w = expected_shape[:3]
            exp_c = expected_shape[3] if len(expected_shape) == 4 else 1
            got = (n_frames, rows, cols, spp)
            if got != (exp_t, exp_h, exp_w, exp_c):
                errors.append(
                    "header geometry (frames, rows, columns, samples) = "
                    f"{got} differs from expected {(exp_t, exp_h, exp_w, exp_c)}"
                )
        if expected_pixels_sha256 is not None and not lossless:
            warnings.append("pixel hash not compared: transfer syntax is lossy, geometry only")
            expected_pixels_sha256 = None
        if expected_pixels_sha256 is not None and bits not in (None, 8):
            warnings.append("pixel hash not compared: only 8-bit data decodes to PNM bit-exactly")
            expected_pixels_sha256 = None
        if expected_pixels_sha256 is not None and not all_frames:
            warnings.append("pixel hash not compared: all_frames=False")
            expected_pixels_sha256 = None

        # ---- decode pixels
        decoder_name = "dcmj2pnm" if tools["dcmj2pnm"] else ("dcm2pnm" if tools["dcm2pnm"] else None)
        if decoder_name is None:
            warnings.append("pixel decoding skipped: dcm2pnm/dcmj2pnm not installed")
            ok = not errors
            return ToolResult(tool_label, True, ok, tuple(errors), tuple(warnings), "; ".join(details))
        decoder = tools[decoder_name]
        assert decoder is not None  # chosen above because it is installed
        with tempfile.TemporaryDirectory(prefix="phiphantom-dcm2pnm-") as tmp:
            stem = os.path.join(tmp, "f")
            frame_opt = ["+Fa"] if all_frames else ["+F", "1"]
            proc = _run([decoder, *frame_opt, "-O", "+op", str(path), stem], deadline, capture_stdout=False)
            e, w = _dcmtk_messages(proc.stderr, path)
            warnings += w
            if proc.returncode != 0 or e:
                errors += e
                if proc.returncode != 0 and not e:
                    errors.append(f"{decoder_name} exited with status {proc.returncode}")
                if decoder_name == "dcm2pnm" and ts not in _UNCOMPRESSED_TS:
                    warnings.append("this dcm2pnm may lack codecs for compressed data; dcmtk <= 3.6.7 needs dcmj2pnm")
                return ToolResult(tool_label, True, False, tuple(errors), tuple(warnings),
                                  "; ".join(details + [f"{decoder_name} could not decode the pixel data"]))
            frame_files = _numbered_outputs(Path(tmp), all_frames)
            if not frame_files:
                errors.append(f"{decoder_name} wrote no image")
            want_frames = n_frames if all_frames else 1
            if frame_files and len(frame_files) != want_frames:
                errors.append(f"{decoder_name} decoded {len(frame_files)} frame(s), header says {want_frames}")
            digest = hashlib.sha256()
            shapes: set[tuple[int, int, int]] = set()
            for f in frame_files:
                with Image.open(f) as im:
                    im.load()
                    if im.mode not in ("L", "RGB"):
                        errors.append(f"decoded frame has unexpected PNM mode {im.mode}")
                        break
                    shapes.add((im.height, im.width, 3 if im.mode == "RGB" else 1))
                    if expected_pixels_sha256 is not None:
                        digest.update(im.tobytes())
                f.unlink()
            details.append(f"{decoder_name} decoded {len(frame_files)} frame(s)")
            for h, w_, c in sorted(shapes):
                if (h, w_) != (rows, cols):
                    errors.append(f"decoded frame is {h}x{w_}, header says {rows}x{cols}")
                if expected_shape is not None:
                    exp_c = expected_shape[3] if len(expected_shape) == 4 else 1
                    if (h, w_, c) != (expected_shape[1], expected_shape[2], exp_c):
                        errors.append(
                            f"decoded frame geometry (rows, columns, channels) = {(h, w_, c)} differs from "
                            f"expected {(expected_shape[1], expected_shape[2], exp_c)}"
                        )
            if expected_shape is not None and all_frames and frame_files and len(frame_files) != expected_shape[0]:
                errors.append(f"decoded {len(frame_files)} frame(s), expected {expected_shape[0]}")
            if expected_pixels_sha256 is not None and frame_files and not errors:
                if digest.hexdigest() == expected_pixels_sha256.lower():
                    details.append("pixel sha256 matches")
                else:
                    errors.append("decoded pixel bytes differ from expected (sha256 mismatch)")
            elif expected_shape is not None and not errors:
                details.append("geometry matches")
    except _Timeout:
        errors.append("timeout")
        return ToolResult(tool_label, True, False, tuple(dict.fromkeys(errors)), tuple(warnings),
                          f"timed out after {timeout:g} s")
    except OSError as exc:  # tool vanished / not executable
        return ToolResult(tool_label, ran=False, ok=False, detail=f"could not run dcmtk: {exc.strerror or exc}")

    return ToolResult(tool_label, True, not errors, tuple(dict.fromkeys(errors)),
                      tuple(dict.fromkeys(warnings)), "; ".join(details))


def _numbered_outputs(folder: Path, all_frames: bool) -> list[Path]:
    """Decoder outputs in frame order: ``f.0.ppm, f.1.ppm, ...`` (``+Fa``) or ``f`` (``+F 1``)."""
    files = [p for p in folder.iterdir() if p.is_file()]
    if not all_frames:
        return files[:1] if len(files) == 1 else sorted(files)

    def key(p: Path) -> int:
        parts = p.name.split(".")
        return int(parts[1]) if len(parts) >= 3 and parts[1].isdigit() else -1

    return sorted(files, key=key)


# --------------------------------------------------------------------------
# tier 3: dicom3tools

_DCIODVFY_LINE = re.compile(r"^(Error|Warning|Abort)\s+-\s+(.*)$")


def tier3_check(path: Path, timeout: float = 60) -> ToolResult:
    """Check IOD conformance with dciodvfy.

    ``ok`` is True when dciodvfy printed no ``Error -``/``Abort -`` line (its
    exit status is ignored, except that a crash or a run with no recognisable
    output counts as an error). Messages are redacted (no values, no path).
    ``detail`` names the IOD dciodvfy recognised (e.g. ``USMultiFrameImage``).
    """
    path = Path(path)
    exe = shutil.which("dciodvfy")
    if exe is None:
        return ToolResult("dciodvfy", ran=False, ok=False,
                          detail="dciodvfy not installed (apt-get install dicom3tools)")
    try:
        proc = _run([exe, str(path)], time.monotonic() + timeout)
    except _Timeout:
        return ToolResult("dciodvfy", True, False, ("timeout",), (), f"timed out after {timeout:g} s")
    except OSError as exc:
        return ToolResult("dciodvfy", ran=False, ok=False, detail=f"could not run dciodvfy: {exc.strerror or exc}")

    errors: list[str] = []
    warnings: list[str] = []
    iods: list[str] = []
    other = 0
    for line in (proc.stderr + "\n" + (proc.stdout or "")).splitlines():
        line = line.strip()
        if not line:
            continue
        m = _DCIODVFY_LINE.match(line)
        if m:
            text = redact_message(m.group(2), path)
            (warnings if m.group(1) == "Warning" else errors).append(text)
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", line):
            iods.append(line)
        elif line.startswith("Usage:"):
            errors.append("dciodvfy rejected its command line")
        else:
            other += 1
    if proc.returncode < 0:
        errors.append(f"dciodvfy died with signal {-proc.returncode}")
    elif proc.returncode != 0 and not errors:
        warnings.append(f"dciodvfy exit status {proc.returncode} without Error lines")
    if not errors and not warnings and not iods:
        errors.append("dciodvfy produced no recognisable output")
    detail = f"IOD {', '.join(iods)}" if iods else "no IOD recognised"
    if other:
        detail += f"; {other} unparsed output line(s)"
    return ToolResult("dciodvfy", True, not errors, tuple(dict.fromkeys(errors)),
                      tuple(dict.fromkeys(warnings)), detail)
