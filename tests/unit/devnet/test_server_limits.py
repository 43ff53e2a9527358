"""start_devnet refuses clock settings that would crash its clock thread."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from anchor.devnet.server import MAX_BLOCK_TIME, start_devnet
from anchor.errors import InputError


@pytest.mark.parametrize("block_time", [0.0, -1.0, math.inf, math.nan, MAX_BLOCK_TIME * 2])
def test_unusable_block_time_is_input_error(block_time: float) -> None:
    with pytest.raises(InputError, match="block time must be more than 0"):
        start_devnet(port=0, funds={}, block_time=block_time)


def test_unusable_block_time_is_refused_before_anything_starts(tmp_path: Path) -> None:
    state = tmp_path / "chain.json"
    with pytest.raises(InputError, match="block time must be more than 0 and at most 3600 s"):
        start_devnet(port=0, block_time=0.0, state_path=state)
    assert not state.exists()
