"""`pytest --dots-proxy`: the switch's own failures; the judged run itself is in test_installed.py (from the wheels)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from dots_testing import proxy_switch


def test_without_the_dots_contract_command_the_session_stops_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DOTS_TESTING_PROXY=1 (as --dots-proxy) without the dots-contract wheel: one usage-error line naming it."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no dots-contract there, nor beside this interpreter
    monkeypatch.setenv(proxy_switch.ENV_VAR, "1")
    config = cast(pytest.Config, SimpleNamespace(getoption=lambda name, default=None: default))
    with pytest.raises(pytest.UsageError) as refused:
        proxy_switch.pytest_configure(config)
    assert "needs the dots-contract wheel" in str(refused.value)
    assert "\n" not in str(refused.value)
    monkeypatch.setenv(proxy_switch.ENV_VAR, "0")
    proxy_switch.pytest_configure(config)  # switched off: nothing asked of the wheel
