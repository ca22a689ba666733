"""Exports of a generated dataset for model training: YOLO label files and Hugging Face parquet.

``export_dataset(dataset_dir, out, "yolo" | "hf", FrameChoice.parse("first"), SplitPlan(...))`` writes
the chosen frames of every file as PNG with their ground-truth boxes, split into train/val/test by
style pack or by patient. ``phiphantom export`` is the command; ``docs/exports.md`` the user page.
"""

from __future__ import annotations

from .frames import ExportError, FrameChoice
from .run import FORMATS, export_dataset
from .splits import SplitPlan, parse_styles

__all__ = ["FORMATS", "ExportError", "FrameChoice", "SplitPlan", "export_dataset", "parse_styles"]
