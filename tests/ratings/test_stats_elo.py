"""Online Elo in vote order."""

import numpy as np
import pytest

from ratings.stats import A_WINS, B_WINS, BOTH_BAD, TIE, online_elo


def test_first_win_moves_each_side_by_half_k():
    out = online_elo(np.array([0]), np.array([1]), np.array([A_WINS]), 2, k=4)
    assert out.tolist() == [1002.0, 998.0]


def test_hand_computed_sequence():
    a, b = np.array([0, 1, 0]), np.array([1, 0, 2])
    outcome = np.array([A_WINS, TIE, BOTH_BAD])
    out = online_elo(a, b, outcome, 3, k=32)
    r = [1000.0, 1000.0, 1000.0]
    for ia, ib, s in [(0, 1, 1.0), (1, 0, 0.5), (0, 2, 0.5)]:
        e = 1 / (1 + 10 ** ((r[ib] - r[ia]) / 400))
        r[ia] += 32 * (s - e)
        r[ib] -= 32 * (s - e)
    np.testing.assert_allclose(out, r)


def test_order_matters_and_total_is_conserved():
    a = np.array([0, 0, 1, 1])
    b = np.array([1, 1, 0, 0])
    outcome = np.array([A_WINS, A_WINS, B_WINS, A_WINS])
    one = online_elo(a, b, outcome, 2)
    two = online_elo(a[::-1], b[::-1], outcome[::-1], 2)
    assert one.sum() == pytest.approx(2000) and two.sum() == pytest.approx(2000)
    assert one[0] != pytest.approx(two[0])


def test_unplayed_contender_keeps_initial_rating():
    out = online_elo(np.array([0]), np.array([1]), np.array([B_WINS]), 3, init=1500)
    assert out[2] == 1500 and out[1] > 1500
