"""The department ranking on the hand-computed month (`case_fixtures.november`): scores from the
three rates with their figures, classes, ties, configurable and refused weights."""

from __future__ import annotations

import pytest

from evaluation.indicators import case_indicators
from evaluation.ranking import rank_departments
from models.evaluation import Dimension, Period, Ranking, Weights
from rules.evaluation import WeightsError, score
from tests.evaluation.case_fixtures import november

NOVEMBER = Period.month(2026, 11)


def table(ranking: Ranking) -> dict[str, list[tuple[str, float | None, int | None]]]:
    return {
        item.department_class: [(s.department, s.score, s.rank) for s in item.scores]
        for item in ranking.classes
    }


@pytest.fixture
def month(session_factory):
    return november(session_factory)


def test_default_weights_and_classes(session_factory, month):
    ranking = rank_departments(session_factory, NOVEMBER)

    assert ranking.weights == Weights(response=0.30, resolution=0.35, satisfaction=0.35)
    # water: response 3/4, resolution 2/3, satisfaction 2/3
    #   100 × (0.30 × 3/4 + 0.35 × 2/3 + 0.35 × 2/3) = 69.1666… -> 69.17
    # housing: 1/1, 0/1, 1/1 -> 100 × (0.30 + 0 + 0.35) = 65.0
    # market: no case -> no score, no rank, last
    # yunyan-gov: response 1/1 only (no reached callback): weights re-normalised -> 100.0
    # power: response 1/1 only (P, praise) -> 100.0
    assert table(ranking) == {
        "functional": [("water", 69.17, 1), ("housing", 65.0, 2), ("market", None, None)],
        "district_government": [("yunyan-gov", 100.0, 1)],
        "enterprise": [("power", 100.0, 1)],
    }


def test_each_score_carries_its_figures(session_factory, month):
    ranking = rank_departments(session_factory, NOVEMBER)
    water = ranking.classes[0].scores[0]

    assert water.department_class == "functional"
    assert (water.response.numerator, water.response.denominator) == (3, 4)
    assert water.response.key == "response_rate"
    assert (water.resolution.numerator, water.resolution.denominator) == (2, 3)
    assert (water.satisfaction.numerator, water.satisfaction.denominator) == (2, 3)
    yunyan = ranking.classes[1].scores[0]
    assert (yunyan.satisfaction.denominator, yunyan.satisfaction.rate) == (0, None)
    market = ranking.classes[0].scores[2]
    assert (market.response.denominator, market.score) == (0, None)


def test_the_figures_are_those_of_the_department_breakdown(session_factory, month):
    ranking = rank_departments(session_factory, NOVEMBER)
    breakdown = {
        s.group: s for s in case_indicators(session_factory, NOVEMBER, Dimension.DEPARTMENT)
    }

    for item in ranking.classes:
        for entry in item.scores:
            if entry.department not in breakdown:
                continue
            own = breakdown[entry.department]
            sign_off = own.value("on_time_sign_off_rate")
            assert (entry.response.numerator, entry.response.denominator) == (
                sign_off.numerator,
                sign_off.denominator,
            )
            assert entry.satisfaction == own.value("satisfaction_rate")
            assert entry.resolution == own.value("resolution_rate")


def test_ties_share_a_rank_within_a_configured_class(session_factory, month):
    classes = {"water": "mixed", "yunyan-gov": "mixed", "power": "mixed"}

    ranking = rank_departments(session_factory, NOVEMBER, classes=classes)

    assert table(ranking) == {
        "functional": [("housing", 65.0, 1), ("market", None, None)],
        "mixed": [("power", 100.0, 1), ("yunyan-gov", 100.0, 1), ("water", 69.17, 3)],
    }


def test_configured_weights(session_factory, month):
    weights = Weights(response=1.0, resolution=0.0, satisfaction=0.0)

    ranking = rank_departments(session_factory, NOVEMBER, weights)

    assert ranking.weights == weights
    assert table(ranking)["functional"] == [
        ("housing", 100.0, 1),
        ("water", 75.0, 2),
        ("market", None, None),
    ]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (Weights(response=0.5, resolution=0.5, satisfaction=0.5), "must sum to 1, got"),
        (Weights(response=0.3, resolution=0.35, satisfaction=0.3), "= 0.95"),
        (Weights(response=-0.2, resolution=0.6, satisfaction=0.6), "not negative: response"),
    ],
)
def test_weights_that_do_not_sum_to_one_are_refused(session_factory, weights, message):
    with pytest.raises(WeightsError, match=message):
        rank_departments(session_factory, NOVEMBER, weights)


def test_score_renormalises_over_components_with_data():
    weights = Weights()
    assert score({"response": 1.0, "resolution": None, "satisfaction": 0.5}, weights) == round(
        100 * (0.30 * 1.0 + 0.35 * 0.5) / 0.65, 2
    )
    assert score({"response": None, "resolution": None, "satisfaction": None}, weights) is None
