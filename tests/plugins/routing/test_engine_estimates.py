"""Erlang C and the decayed rates behind the wait a customer is told."""

from __future__ import annotations

import math

import pytest

from ccokit.plugins.routing.engine.estimates import (
    Rate,
    erlang_c,
    expected_wait,
    position_wait,
    service_level,
)


def erlang_c_by_definition(servers: int, load: float) -> float:
    """The textbook sum, for checking the recurrence on small cases."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom


@pytest.mark.parametrize(("servers", "load"), [(1, 0.5), (2, 1.0), (5, 4.2), (10, 8.0), (30, 25.0)])
def test_erlang_c_matches_its_definition(servers, load):
    assert erlang_c(servers, load) == pytest.approx(erlang_c_by_definition(servers, load), rel=1e-9)


def test_erlang_c_known_values_and_edges():
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=1e-4)  # the classic call-centre table
    assert erlang_c(3, 0.0) == 0.0
    assert erlang_c(3, 3.0) == 1.0  # the queue grows without end
    assert 0.0 < erlang_c(2000, 1990.0) < 1.0  # thousands of seats stay finite


def test_expected_wait_and_service_level_of_a_single_seat():
    # M/M/1: Wq = rho / (mu - lambda); lambda 0.5/s, mu 1/s -> 1 s
    assert expected_wait(1, 0.5, 1.0) == pytest.approx(1.0)
    assert expected_wait(1, 1.0, 1.0) is None
    assert expected_wait(4, 0.0, 1.0) == 0.0
    # P(W > t) = rho * exp(-(mu - lambda) t) for M/M/1
    assert service_level(1, 0.5, 1.0, 2.0) == pytest.approx(1 - 0.5 * math.exp(-1.0))
    assert service_level(1, 2.0, 1.0, 20.0) == 0.0


def test_position_wait():
    assert position_wait(3, 0.5, 0) == pytest.approx(6.0)
    assert position_wait(2, 0.5, 2) == 0.0
    assert position_wait(4, 0.0, 1) is None


def test_rate_counts_per_second_over_what_it_has_observed_and_decays():
    rate = Rate(tau_s=60.0, since=0.0)
    for second in range(1, 121):
        rate.add(float(second), 2.0)
    at_120 = rate.per_s(120.0)
    assert at_120 == pytest.approx(2.0, rel=0.05)
    young = Rate(tau_s=120.0, since=0.0)
    for second in range(1, 11):
        young.add(float(second))
    assert young.per_s(10.0) == pytest.approx(1.0, rel=0.1)  # not diluted over the full tau
    # 300 s without events: the sum decays by e^-5, over a window now nearly the full tau
    filled = (1 - math.exp(-120 / 60)) / (1 - math.exp(-420 / 60))
    assert rate.per_s(420.0) == pytest.approx(at_120 * filled * math.exp(-5.0), rel=1e-6)
