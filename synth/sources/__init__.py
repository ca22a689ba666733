"""Frame sources: ``procedural`` (default), ``folder:PATH``, ``openpocus:PATH``, ``dicom:PATH``."""

from __future__ import annotations

from .base import FrameSource, SourceError, SourceFrames, SourceRef

SOURCE_KINDS = ("procedural", "folder", "openpocus", "dicom")


def open_source(spec: str) -> FrameSource:
    """Build the frame source named by ``spec`` (e.g. ``"folder:/data/clips"``)."""
    kind, _, arg = spec.partition(":")
    if kind == "procedural":
        from .procedural import ProceduralSource

        return ProceduralSource(arg)
    if kind not in SOURCE_KINDS:
        raise SourceError(f"unknown source kind {kind!r}; use one of {', '.join(SOURCE_KINDS)}")
    if not arg:
        raise SourceError(f"source {kind!r} needs a path: {kind}:PATH")
    if kind == "folder":
        from .folder import FolderSource

        return FolderSource(arg)
    if kind == "openpocus":
        from .openpocus import OpenPocusSource

        return OpenPocusSource(arg)
    from .dicom_files import DicomSource

    return DicomSource(arg)


__all__ = ["FrameSource", "SourceError", "SourceFrames", "SourceRef", "open_source", "SOURCE_KINDS"]
