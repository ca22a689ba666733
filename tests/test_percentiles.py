"""The pixel engine's percentile equals numpy's default (linear) percentile bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from phiphantom.core.percentiles import median_below, percentile


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float64])
def test_equals_numpy_on_random_samples(dtype):
    rng = np.random.default_rng(7)
    for i in range(600):
        n = int(rng.integers(1, 300))
        values = (rng.normal(0, 60, n) if dtype is np.float64 else rng.integers(0, 256, n)).astype(dtype)
        q = (75.0, 80.0, 90.0, 50.0, 0.0, 100.0, float(rng.uniform(0, 100)))[i % 7]
        assert percentile(values, q) == float(np.percentile(values, q)), (n, q)


def test_small_cases_by_hand():
    assert percentile(np.array([3], np.uint8), 90) == 3.0
    assert percentile(np.array([0, 10], np.uint8), 90) == 9.0
    assert percentile(np.array([10, 0], np.uint8), 25) == 2.5
    assert percentile(np.array([[1, 2], [3, 4]]), 50) == 2.5  # any shape: flattened


def test_empty_sample_is_an_error():
    with pytest.raises(ValueError):
        percentile(np.array([], np.uint8), 50)


def test_median_below_equals_the_percentile_test_on_uint8():
    """A count gives what ``percentile(values, 50) < level`` gives, also where the median is the mean of two
    middle levels either side of ``level`` (drawn often: few distinct levels around it)."""
    rng = np.random.default_rng(11)
    for i in range(4000):
        n = int(rng.integers(1, 12))
        level = int(rng.integers(1, 256))
        if i % 2:
            values = rng.integers(0, 256, n).astype(np.uint8)
        else:
            values = np.clip(rng.integers(level - 2, level + 2, n), 0, 255).astype(np.uint8)
        assert median_below(values, level) == (percentile(values, 50) < level), (values.tolist(), level)
    assert median_below(np.array([127, 128], np.uint8), 128)  # 127.5
    assert not median_below(np.array([127, 129], np.uint8), 128)  # 128.0
    with pytest.raises(TypeError):
        median_below(np.array([1.0]), 128)
    with pytest.raises(ValueError):
        median_below(np.array([], np.uint8), 128)
