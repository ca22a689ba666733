"""Fail-closed batch de-identification of a folder of DICOM files (``phiphantom deid IN OUT``).

Meant to run on a real archive: every file found in IN ends as exactly one
de-identified output or one row in ``OUT/errors.csv``; nothing is silently
skipped, no partial output is ever left behind, and no message written by
the runner quotes a value from a file.

Walking IN
    Recursive, sorted by the bytes of the relative paths, **never following
    symbolic links**: a symlink (to a file or a folder, dangling or not) gets
    one ``errors.csv`` row, ``SymlinkNotFollowed``. So a link can never lead
    out of IN or into a loop, and a target that lies inside IN is processed
    exactly once, at its own path. FIFOs, sockets and devices are never opened
    (``NotARegularFile``). A regular file is DICOM when it has the 128-byte
    preamble followed by ``DICM`` (whatever its extension); anything else --
    an empty file, a raw dataset without preamble, DICOM JSON/XML -- is a
    ``NotDicom`` row. A DICOMDIR (Media Storage Directory) is rejected
    (``DicomDir``): it holds patient records and indexes the original file
    names; build a new one over the outputs instead (e.g. ``dcmmkdir``).
    Before pydicom reads a file, :func:`check_structure` walks its element
    stream: a value, item or sequence running past the end of the file
    (``TruncatedFile``), or an unknown VR, a misplaced delimiter, a US/UL/...
    value of impossible length or nesting deeper than 64 levels
    (``MalformedDicom``) fail the file -- pydicom itself would quietly keep a
    truncated value, or drop an unterminated pixel data element.

Writing OUT
    ``--layout pseudonymized`` (the default) writes each output at
    ``PatientID/StudyUID/SeriesUID/SOPUID.dcm`` made of pseudonyms only;
    ``--layout keep`` at the input's relative path (so file names that carry
    PHI keep carrying it: the run counts the files whose path holds a name, ID
    or date of their own header and warns, without showing them).
    OUT is locked for the whole run (``flock`` on ``OUT/.phiphantom-deid.lock``,
    :mod:`.outputs`): a second run into the same OUT is refused at once; the
    kernel releases the lock of a run that died. An OUT that cannot be created
    or written is a usage error naming the operation and the errno (``EROFS``,
    ``EACCES``); a file whose output cannot be written (``ENOSPC``) is an
    error row saying which step failed; a record that cannot be written stops
    the run (:class:`RunAborted`). Workers write into
    ``OUT/.phiphantom-deid-tmp/<run>/<n>.part`` (same file system as OUT;
    a folder per run, so a worker left over from a killed run cannot touch
    the next run's files); the supervisor moves a file into place with ``os.replace`` only
    once it is complete and verified (it re-reads as DICOM, carries
    PatientIdentityRemoved=YES and the expected SOP Instance UID), and removes
    the temporary file of any failed, timed-out or crashed file. The
    preamble is zeroed and the File Meta Information is rebuilt with only the
    required elements (source/sending AE titles and private meta information
    are dropped). The transfer syntax is kept: deflated files stay deflated,
    Explicit VR Big Endian stays big endian (pydicom 3 writes both).
    Decisions are taken in input order, so a second file with an already
    used SOP Instance UID (``DuplicateSOPInstanceUID``) or output path
    (``OutputPathCollision``) gets no output, whichever worker finishes first.

Records (all in OUT unless asked elsewhere; none holds a value)
    ``errors.csv`` (path, error_class, message): only :class:`DeidError`
    messages are kept (safe by contract); any other message is withheld
    (an OS error keeps its errno name). Paths relative to IN may themselves
    carry PHI, so the records name each input ``file-NNNN`` (its number in
    walk order: IN sorted by the bytes of the relative paths) in errors.csv,
    audit.jsonl and detections.csv; ``--show-paths`` writes the relative paths
    instead. ``audit.jsonl``: one record per input per run (status
    ok / error / skipped) with paths, actions per element path, options,
    CID 7050 codes, key source, whether dates were shifted, tool version and
    sha256 of input and output. ``.phiphantom-deid-state.jsonl``: what
    ``--resume`` needs (a keyed hash of the input path, never the path; the
    output path only when it is made of pseudonyms), and per run a key check
    value (a keyed hash of a constant) and the settings.
    ``--mapping-out PATH``: original -> pseudonym table, mode 0600, only when
    asked and never inside IN or OUT.

Resume
    With ``--resume`` a file is skipped when the state file has a record made
    with the same key and settings, its input sha256 matches, and its output
    still exists with the recorded sha256; anything else is processed again,
    so a resumed run gives the same outputs as an uninterrupted one. A resume
    with another key or other settings than the run that wrote OUT is refused
    (it would add a second copy under other pseudonyms), and so is a resume into
    a non-empty folder without a state file.
    Without ``--resume`` OUT must be empty or absent.

Workers
    ``workers`` forked processes, one file at a time each, behind pipes: a
    worker that dies (segfault, killed for memory) gives ``WorkerCrashed``
    for its file only, a file taking longer than ``timeout_s`` gives
    ``Timeout``; a fresh worker takes over either way. The key reaches the
    workers through ``fork`` only (it is never pickled or written) -- except
    with ``--executor dask``, where it travels to the Dask workers inside the
    tasks (docs/scale-out.md).

Modules
    :mod:`.config` holds what a run is asked to do (the four settings objects :func:`deid_batch`
    takes); :mod:`.inputs` walks IN; :mod:`.outputs` creates and locks OUT and names the run's files;
    :mod:`.plan` checks the request and holds the run's plan; :mod:`.process` de-identifies one file;
    :mod:`.pool` runs files on the supervised worker pool (or Dask); :mod:`.records` writes the
    records and commits outputs in input order; :mod:`.summary` is the outcome; :mod:`.run` is
    :func:`deid_batch`, which ties them together.
"""

from __future__ import annotations

from phiphantom.core.detections import DETECTION_COLUMNS

from ..structure import check_structure
from .config import DeidSettings, ExecutionSettings, KeySettings, OutputSettings
from .inputs import InputEntry, collect_inputs, path_text, redacted_name, sniff_part10
from .outputs import (
    AUDIT_FILENAME,
    DETECTIONS_FILENAME,
    ERRORS_FILENAME,
    LOCK_FILENAME,
    RESERVED_NAMES,
    STAGING_DIRNAME,
    STATE_FILENAME,
    OutLock,
    OutUnavailable,
    RunAborted,
)
from .plan import PROFILES, BatchUsageError, Plan, key_check_value, parse_safe_private
from .pool import WorkerPool
from .process import WITHHELD, check_pixel_tools, output_relpath, process_one, sha256_file, write_verified
from .records import ERROR_COLUMNS, ResumeRefused, check_resume, load_state, write_mapping
from .run import deid_batch
from .summary import BatchSummary

__all__ = [
    "AUDIT_FILENAME", "DETECTIONS_FILENAME", "DETECTION_COLUMNS", "ERRORS_FILENAME", "ERROR_COLUMNS", "LOCK_FILENAME",
    "PROFILES", "RESERVED_NAMES", "STAGING_DIRNAME", "STATE_FILENAME", "WITHHELD",
    "BatchSummary", "BatchUsageError", "DeidSettings", "ExecutionSettings", "InputEntry", "KeySettings",
    "OutputSettings", "OutLock", "OutUnavailable", "Plan", "ResumeRefused",
    "RunAborted", "WorkerPool",
    "check_pixel_tools", "check_resume", "check_structure", "collect_inputs", "deid_batch", "key_check_value",
    "load_state", "output_relpath", "parse_safe_private", "path_text", "process_one", "redacted_name",
    "sha256_file", "sniff_part10", "write_mapping", "write_verified",
]
