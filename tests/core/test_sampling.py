"""Spot-check sampling: reproducible, stratified by category, a subset without duplicates."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.sampling import draw_sample, stratum_size

CATEGORIES = st.sampled_from(["01", "021", "022", "023", "026", "03"])
POPULATIONS = st.dictionaries(st.integers(1, 100_000), CATEGORIES, max_size=300)
SHARES = st.floats(0.001, 1.0)
SEEDS = st.integers(0, 2**63 - 1)


@given(POPULATIONS, SEEDS, SHARES)
def test_reproducible_for_a_seed(population: dict[int, str], seed: int, share: float) -> None:
    first = draw_sample(population, seed=seed, share=share)
    # the same population in another insertion order gives the same sample
    shuffled = dict(sorted(population.items(), reverse=True))
    assert draw_sample(shuffled, seed=seed, share=share) == first


@given(POPULATIONS, SEEDS, SHARES)
def test_subset_without_duplicates(population: dict[int, str], seed: int, share: float) -> None:
    sample = draw_sample(population, seed=seed, share=share)
    assert len(sample) == len(set(sample))
    assert set(sample) <= set(population)
    assert sample == sorted(sample)


@given(POPULATIONS, SEEDS, SHARES)
def test_stratum_sizes(population: dict[int, str], seed: int, share: float) -> None:
    sample = draw_sample(population, seed=seed, share=share)
    for category in set(population.values()):
        n = sum(1 for c in population.values() if c == category)
        k = sum(1 for i in sample if population[i] == category)
        assert k == stratum_size(n, share)
        assert 1 <= k <= n
        assert k >= min(n, share * n - 1e-9)  # at least the share
        assert k <= max(1, math.ceil(share * n))


def test_default_share_is_five_percent() -> None:
    population = {i: "01" for i in range(1, 101)} | {i: "021" for i in range(101, 121)}
    sample = draw_sample(population, seed=7)
    assert sum(1 for i in sample if i <= 100) == 5
    assert sum(1 for i in sample if i > 100) == 1
    assert stratum_size(100, 0.07) == 7  # not 8 from 7.000000000000001
    assert stratum_size(0, 0.05) == 0


def test_different_seeds_usually_differ() -> None:
    population = {i: "01" for i in range(1, 1001)}
    assert draw_sample(population, seed=1) != draw_sample(population, seed=2)


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5, float("nan")])
def test_invalid_share(share: float) -> None:
    with pytest.raises(ValidationFailed):
        draw_sample({1: "01"}, seed=1, share=share)
