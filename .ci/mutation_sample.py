"""Keep a seeded random sample of a cosmic-ray session's pending mutants; mark the rest skipped.

Run with the mutation tool's own interpreter (build/mutation/venv, where cosmic-ray is installed):
``python .ci/mutation_sample.py SESSION.sqlite COUNT SEED``. COUNT 0 keeps every mutant.
Same session, count and seed => the same mutants (job ids are sorted before sampling).
"""

from __future__ import annotations

import random
import sys

from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult


def main(session: str, count: int, seed: int) -> int:
    with use_db(session) as db:
        # Order by position in the file, not by job id (a fresh uuid per init): same sample on every run.
        items = sorted(db.pending_work_items, key=lambda w: [(m.operator_name, m.occurrence) for m in w.mutations])
        if count <= 0 or count >= len(items):
            return len(items)
        keep = {w.job_id for w in random.Random(seed).sample(items, count)}
        skip = [w.job_id for w in items if w.job_id not in keep]
        db.set_multiple_results(skip, WorkResult(output="not in the sample", worker_outcome=WorkerOutcome.SKIPPED))
        return count


if __name__ == "__main__":
    print(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
