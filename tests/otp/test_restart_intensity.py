"""The restart-intensity window, with plain numbers for time."""

import pytest
from otp._restart_intensity import RestartIntensity
from otp._strategy import affected_by_crash, check_strategy


def test_default_allows_three_restarts_in_five_seconds_and_refuses_the_fourth():
    window = RestartIntensity()
    assert [window.add_restart(t) for t in (0.0, 1.0, 2.0)] == [True, True, True]
    assert window.add_restart(4.9) is False


def test_restarts_older_than_the_window_are_forgotten():
    window = RestartIntensity(max_restarts=2, max_seconds=1.0)
    assert window.add_restart(0.0)
    assert window.add_restart(0.5)
    assert window.add_restart(1.6)  # 0.0 and 0.5 fell out of [0.6, 1.6]
    assert window.recent == 1


def test_a_restart_exactly_max_seconds_old_still_counts():
    window = RestartIntensity(max_restarts=1, max_seconds=5.0)
    assert window.add_restart(10.0)
    assert window.add_restart(15.0) is False


def test_zero_max_restarts_escalates_on_the_first_restart():
    assert RestartIntensity(max_restarts=0).add_restart(0.0) is False


@pytest.mark.parametrize(("max_restarts", "max_seconds"), [(-1, 5.0), (3, 0), (3, -1.0)])
def test_nonsensical_limits_are_rejected(max_restarts, max_seconds):
    with pytest.raises(ValueError):
        RestartIntensity(max_restarts, max_seconds)


def test_one_for_one_affects_only_the_crashed_child():
    assert affected_by_crash("one_for_one", ["a", "b", "c"], "b") == ["b"]


def test_one_for_all_affects_every_child_in_start_order():
    assert affected_by_crash("one_for_all", ["a", "b", "c"], "b") == ["a", "b", "c"]


def test_rest_for_one_affects_the_crashed_child_and_those_started_after_it():
    assert affected_by_crash("rest_for_one", ["a", "b", "c"], "b") == ["b", "c"]


def test_unknown_strategy_is_rejected_with_the_valid_names():
    with pytest.raises(ValueError, match="one_for_one"):
        check_strategy("one_for_none")
