"""The benchmarks' switch: measuring (``--benchmark-enable``) or run once as tests (the default run)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def benchmarking(pytestconfig: pytest.Config) -> bool:
    """True when pytest-benchmark measures; False under ``--benchmark-disable`` (pyproject's default
    ``addopts``, so the plain ``pytest`` run of README and CI), where each benchmark runs its function once
    on a shrunk input and only its assertions count."""
    disabled = pytestconfig.getoption("benchmark_disable") and not pytestconfig.getoption("benchmark_enable")
    return not disabled
