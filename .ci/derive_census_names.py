"""Derive the packaged US Census 1990 name lists of ``deid/pixels/data/names/`` from the PyPI ``names`` sdist.

A build-time tool, kept out of the installed package. Source: the ``names`` package 0.3.0 on PyPI (MIT,
Trey Hunner), which ships the US Census Bureau's 1990 name frequency files ``dist.all.last`` (88,799
surnames), ``dist.male.first`` (1,219) and ``dist.female.first`` (4,275) unchanged. The Census files are a
work of the US Government (public domain). Each line there is ``NAME FREQ CUMFREQ RANK``; we keep the names
in rank order (the line number is the rank: the engine weighs rare surnames lower) and nothing else.

Usage, from the repository root::

    pip download --no-deps --no-binary :all: names==0.3.0 -d /tmp/names-src
    python .ci/derive_census_names.py /tmp/names-src/names-0.3.0.tar.gz

It writes ``census1990_surnames.txt.gz`` (rank order) and ``census1990_given.txt.gz`` (male and female
merged, ordered by the better of the two ranks) with a fixed gzip mtime, so the output is byte-identical
on every run.
"""

from __future__ import annotations

import gzip
import io
import sys
import tarfile
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parents[1] / "deid" / "pixels" / "data" / "names"


def names_in(member: bytes) -> list[tuple[str, int]]:
    """``(NAME, rank)`` of every line of one Census ``dist.*`` file."""
    rows = []
    for line in member.decode("ascii").splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0].isalpha():
            rows.append((parts[0].upper(), int(parts[3])))
    return rows


def write_gz(path: Path, names: list[str]) -> None:
    raw = ("\n".join(names) + "\n").encode("ascii")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    path.write_bytes(buf.getvalue())


def main(sdist: str) -> None:
    files: dict[str, bytes] = {}
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            base = member.name.rsplit("/", 1)[-1]
            if base in ("dist.all.last", "dist.male.first", "dist.female.first"):
                handle = tar.extractfile(member)
                assert handle is not None
                files[base] = handle.read()
    missing = {"dist.all.last", "dist.male.first", "dist.female.first"} - set(files)
    if missing:
        raise SystemExit(f"not in {sdist}: {sorted(missing)}")
    surnames = [name for name, _ in sorted(names_in(files["dist.all.last"]), key=lambda r: r[1])]
    best: dict[str, int] = {}
    for key in ("dist.male.first", "dist.female.first"):
        for name, rank in names_in(files[key]):
            best[name] = min(rank, best.get(name, rank))
    given = sorted(best, key=lambda n: (best[n], n))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    write_gz(OUT_DIR / "census1990_surnames.txt.gz", surnames)
    write_gz(OUT_DIR / "census1990_given.txt.gz", given)
    print(f"{len(surnames)} surnames, {len(given)} given names -> {OUT_DIR}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
