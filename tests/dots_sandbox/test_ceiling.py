"""`python -m dots_sandbox.ceiling PORT`: the constant answer on the sandbox's front, as a process."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from dots_sandbox.ceiling import BODY, main
from dots_sandbox.front.listener import url_of

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_ceiling_prints_its_listening_line_answers_and_stops() -> None:
    """Port 0: the first stdout line is `dots sandbox ceiling listening on URL`; it answers BODY; SIGTERM exits 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dots_sandbox.ceiling", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = url_of(line)
        assert url is not None
        assert line == f"dots sandbox ceiling listening on {url}\n"
        assert url.startswith("http://127.0.0.1:")
        answer = httpx.get(f"{url}/api/v2/payment-intents/x", timeout=15)
        assert (answer.status_code, answer.content) == (200, BODY)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        out, err = process.communicate()
    assert (code, out, "Traceback" in err) == (0, "", False)


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        ([], "the following arguments are required: port"),
        (["--port", "0"], "unrecognized arguments: --port"),
        (["eighty"], "argument port: port must be 0 to 65535, not 'eighty'"),
        (["99999"], "argument port: port must be 0 to 65535, not '99999'"),
    ],
    ids=["none", "a-flag", "not-a-number", "out-of-range"],
)
def test_a_port_of_the_wrong_form_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], argv: list[str], why: str
) -> None:
    """No PORT, a flag or a PORT outside 0-65535 is exit 2 with the usage and why: no traceback, no other port."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out, err = capsys.readouterr()
    assert (exited.value.code, out) == (2, "")
    assert err.startswith("usage: python -m dots_sandbox.ceiling")
    assert err.splitlines()[-1] == f"python -m dots_sandbox.ceiling: error: {why}"
