"""``phiphantom bench selftest``: run the gallery on a fresh small dataset and check every expected score.

One dataset (2 patients, two studies of two files each, so that every patient and every UID group has two
files and a per-file flaw breaks it; cines and stills, grey and RGB, some JPEG; generated into a
temporary folder that is removed afterwards, unless ``keep`` names a folder) is scored for every gallery engine
in one ``run_bench`` call; each :class:`~.expected.Expect` becomes one row ``(engine, metric, expected, got,
ok)``. The dataset's own counts are checked too (``phi_boxes``: the scorer's count against ``gt/``'s).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from phiphantom.synth import GenerateConfig, generate

from ..bench import run_bench
from .expected import Expect, dataset_facts, exact, expectations
from .gallery import GALLERY


class SelftestError(ValueError):
    """The self-test cannot run as asked (message safe to show)."""


@dataclass(frozen=True)
class Row:
    """One line of the self-test table."""

    engine: str
    metric: str
    expected: str
    got: float | int | None
    ok: bool
    why: str


def selftest_config(out: Path, seed: int = 17) -> GenerateConfig:
    """The self-test's dataset: small, with every kind of file the scorer handles."""
    return GenerateConfig(out=out, patients=2, studies_per_patient=2, files_per_study=(2, 2), cine_fraction=0.5,
                          frames=(3, 4), sizes=((640, 480),), jpeg_fraction=0.3, rgb_fraction=0.5, seed=seed,
                          workers=1, validate=False, progress=False)


def check(results: dict, checks: dict[str, list[Expect]]) -> list[Row]:
    """Compare the results of a run with the expectations, one row per check (a missing engine fails)."""
    by_name = {engine["name"]: engine for engine in results["engines"]}
    rows = []
    for name, expects in checks.items():
        engine = by_name.get(name)
        for expect in expects:
            if engine is None:
                rows.append(Row(name, expect.metric, expect.text(), None, False, "engine did not run"))
                continue
            got = engine["metrics"].get(expect.metric, engine["counts"].get(expect.metric))
            rows.append(Row(name, expect.metric, expect.text(), got, expect.holds(got), expect.why))
    return rows


def run_selftest(workdir: Path | None = None, seed: int = 17, ocr: bool = True) -> list[Row]:
    """Generate the dataset, run every gallery engine, return the checked rows.

    ``workdir``: generate and score there and keep the files; it must be new or empty (:class:`SelftestError`
    otherwise: nothing the user did not hand over is ever overwritten).
    """
    if workdir is not None and Path(workdir).exists() and (not Path(workdir).is_dir() or any(Path(workdir).iterdir())):
        raise SelftestError("the self-test folder must be new or empty")
    root = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="phiphantom-selftest-"))
    try:
        data = root / "dataset"
        generate(selftest_config(data, seed), overwrite=True)
        facts = dataset_facts(data)
        engines = {cls().name: cls() for cls in GALLERY}
        results = run_bench(data, [], root / "results", workers=1, ocr=ocr, thumbnails=0, overwrite=True,
                            engine_objects=engines)
        checks = expectations(facts)
        if not ocr:  # residual figures need the re-OCR
            checks = {n: [e for e in es if not e.metric.startswith("residual_phi_r")] for n, es in checks.items()}
        rows = check(results, {"dataset": [], **checks})
        counted = results["engines"][0]["counts"]["phi_boxes"] if results["engines"] else None
        phi = exact("phi_boxes", facts.phi_boxes, "the scorer's PHI boxes = gt/boxes.csv is_phi rows")
        return [Row("dataset", "phi_boxes", phi.text(), counted, phi.holds(counted), phi.why), *rows]
    finally:
        if workdir is None:
            shutil.rmtree(root, ignore_errors=True)


def write_json(rows: list[Row], path: Path) -> None:
    """``--json FILE``: the table as ``{"passed": bool, "checks": [row, ...]}``."""
    document = {"passed": all(r.ok for r in rows), "checks": [asdict(r) for r in rows]}
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
