"""The step controller: cuts shrink the step that failed and stop at dt_min."""

import pytest

from sifrac.solver.timestepping import StepController, StepFailure


def _controller(dt: float = 4.0) -> StepController:
    return StepController(dt=dt, dt_min=0.5, dt_max=10.0, growth=1.5, cutback=0.5, dc_target=0.1)


def test_a_cut_shrinks_the_step_that_was_tried():
    """A step shortened to land on t_stop (1 s left, controller at 4 s) that fails is retried at
    half of 1 s, not at half of 4 s, which propose() would clip back to the same 1 s."""
    ctl = _controller()
    tried = ctl.propose(t=9.0, t_stop=10.0)
    assert tried == pytest.approx(1.0)
    ctl.cut("test failure", tried)
    assert ctl.propose(t=9.0, t_stop=10.0) == pytest.approx(0.5)


def test_a_cut_below_dt_min_stops_with_the_reason():
    ctl = _controller(dt=0.8)
    with pytest.raises(StepFailure, match="test failure; the step cannot be cut below dt_min = 0.5 s"):
        ctl.cut("test failure", 0.8)
    assert ctl.dt == pytest.approx(0.8)  # the last good step size stays


def test_a_soft_criterion_gives_way_at_dt_min_even_on_a_shortened_step():
    """A step shortened to 0.6 s (controller at 4 s, dt_min 0.5 s) cannot be halved: a too large
    concentration change is then accepted, not cut below dt_min into a failed run."""
    ctl = _controller()
    tried = ctl.propose(t=9.4, t_stop=10.0)
    assert tried == pytest.approx(0.6)
    assert not ctl.can_cut(tried)
    assert not ctl.too_large(dc=1.0, tried=tried)
    assert ctl.too_large(dc=1.0, tried=4.0)
