"""Math runs score held-out final-answer accuracy by default (issue 21); without held-out problems the
default says so and the run goes on, while an explicit --eval-solutions still asks for them."""

from __future__ import annotations

import pytest

from srl_trainer.errors import CliError
from srl_trainer.training.config import resolve_config
from srl_trainer.training.pipeline import held_out_problems


def test_the_math_default_and_a_given_model_score_40_held_out_problems():
    for given in ({"domain": "math"}, {"domain": "math", "model": "some/model"}):
        problems = held_out_problems(resolve_config(given))
        assert len(problems) == 40 and len({p.record_id for p in problems}) == 40
    assert held_out_problems(resolve_config({"domain": "swe"})) == []  # SWE scores resolves instead
    assert held_out_problems(resolve_config({"domain": "math", "eval_solutions": 0})) == []


def test_own_training_data_without_held_out_problems_is_a_note_unless_asked_for(capsys):
    own = {"domain": "math", "trajectories": "data/math/train.jsonl"}
    assert held_out_problems(resolve_config(own)) == []
    assert "final-answer accuracy: not measured (no held-out problems; pass --eval-trajectories" in (
        capsys.readouterr().out
    )
    with pytest.raises(CliError, match="^--eval-solutions needs held-out problems"):
        held_out_problems(resolve_config({**own, "eval_solutions": 5}))
    with_file = {**own, "eval_trajectories": "data/math/validation.jsonl", "eval_solutions": 5}
    assert len(held_out_problems(resolve_config(with_file))) == 5
