"""The benchmark's self-test (``phiphantom bench selftest``): a gallery of deliberately flawed engines, each
with the scores the metric definitions imply, checked on a small dataset generated on the fly (issue 17)."""

from .expected import Expect, Facts, dataset_facts, expectations
from .gallery import GALLERY, GalleryEngine
from .run import Row, SelftestError, check, run_selftest, write_json

__all__ = ["GALLERY", "Expect", "Facts", "GalleryEngine", "Row", "SelftestError", "check", "dataset_facts",
           "expectations", "run_selftest", "write_json"]
