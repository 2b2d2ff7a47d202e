"""The documentation's examples run as written against a live sandbox, and its links resolve.

The examples share one sandbox process (each creates intents of its own and reads only those); the
curl walk-through gets its own, sending webhooks to a local receiver, with a short settlement delay
so its wait for the settlement's webhook takes a fraction of a second, not the page's `sleep 5`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dots_client.client
import pytest

from dots_sandbox.background import webhooks
from dots_sandbox.receiver import DEFAULT_SECRET, LocalReceiver
from dots_sandbox.settings import ENVIRONMENT, Settings
from tests.lossy_proxy import LossyProxy

if TYPE_CHECKING:
    from tests.conftest import LiveSandbox

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SANDBOX_DOC = ROOT / "docs" / "sandbox.md"
CLIENT_DOC = ROOT / "docs" / "client.md"
DOCUMENTED_URL = "http://127.0.0.1:8080/api"
DOCUMENTED_RECEIVER = "http://127.0.0.1:8081/"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SECRET = re.compile(r"pi_secret_[0-9a-f]{32}")
_EVENT_ID = re.compile(r"msg_[0-9a-f]{32}")
_TIMESTAMP = re.compile(r'"svix-timestamp":"[0-9]+"')
_SIGNATURE = re.compile(r"v1,[A-Za-z0-9+/]+=*")
# The walk-through's settlement delay: the page's `sleep N` outlasts the default (3 s), the test's wait this one.
WALKTHROUGH_SETTLEMENT_SECONDS = "0.1"


def _block_after(marker: str, page: Path = README) -> str:
    """The fenced block of `page` that follows the HTML comment starting with `marker`."""
    text = page.read_text(encoding="utf-8")
    start = text.index(marker)
    fence = text.index("```", start)
    body = text.index("\n", fence) + 1
    return text[body : text.index("```", body)]


def _env(url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DOTS_", "SANDBOX_"))}
    # What the README has a user set for the local sandbox: its URL and its documented credentials.
    env |= {"DOTS_BASE_URL": url, "DOTS_CLIENT_ID": "sandbox-client-id", "DOTS_API_KEY": "sandbox-api-key"}
    return env


def _run(command: list[str], cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    """Run a README command as a user would, with DOTS_BASE_URL pointing at the live sandbox."""
    return subprocess.run(command, cwd=cwd, env=_env(url), capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """The URL of one `python -m dots_sandbox` (`:memory:`, default credentials) for the module's examples."""
    from tests.conftest import LiveSandbox

    sandbox = LiveSandbox(":memory:", {})
    yield sandbox.url
    sandbox.kill()


def test_client_example_prints_succeeded(sandbox_url: str, tmp_path: Path) -> None:
    """The python block after `<!-- readme-example` creates and confirms an intent on a live sandbox."""
    code = _block_after("<!-- readme-example")
    result = _run([sys.executable, "-c", code], tmp_path, sandbox_url)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(rf"{_UUID.pattern} succeeded\n", result.stdout), result.stdout


@pytest.mark.parametrize(("lose_first_confirm", "expected"), [(False, "answered 1"), (True, "reconciled 2")])
def test_lost_answer_example_confirms_even_after_a_lost_answer(
    sandbox_url: str, tmp_path: Path, lose_first_confirm: bool, expected: str
) -> None:
    """The client page's Dots block succeeds on a live sandbox, reconciled when its confirm's answer is lost."""
    code = _block_after("<!-- dots-lost-answer", CLIENT_DOC)
    with LossyProxy(sandbox_url) as proxy:
        if lose_first_confirm:
            proxy.drop_answer = {2}  # request 1 is the create
        result = _run([sys.executable, "-c", code], tmp_path, proxy.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"succeeded {expected}\n"


def test_client_timeouts_example_runs(sandbox_url: str, tmp_path: Path) -> None:
    """The client page's timeouts block creates and retrieves an intent with its own bounds on a live sandbox."""
    result = _run([sys.executable, "-c", _block_after("<!-- client-timeouts", CLIENT_DOC)], tmp_path, sandbox_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "initialized\n"


def test_client_timeouts_table_is_the_default() -> None:
    """The timeouts table gives DEFAULT_TIMEOUT's four values, in seconds."""
    rows = re.findall(r"^\| (connect|read|write|pool) \| (\d+) s \|", CLIENT_DOC.read_text(encoding="utf-8"), re.M)
    default = dots_client.client.DEFAULT_TIMEOUT
    assert {phase: float(seconds) for phase, seconds in rows} == {
        "connect": default.connect,
        "read": default.read,
        "write": default.write,
        "pool": default.pool,
    }


def test_client_unreadable_example_prints_the_status(tmp_path: Path) -> None:
    """The client page's gateway example shows the 413 from sync_detailed and from UnreadableResponse."""
    result = _run([sys.executable, "-c", _block_after("<!-- client-unreadable", CLIENT_DOC)], tmp_path, "")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "413 None JSONDecodeError\n413 text/html\n"


def test_client_tolerant_reader_example_reads_a_future_status(tmp_path: Path) -> None:
    """The client page's tolerant-reader block reads an unknown status, a null and an unknown field."""
    result = _run([sys.executable, "-c", _block_after("<!-- client-tolerant-reader", CLIENT_DOC)], tmp_path, "")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "unknown: requires_review\nTrue 12 requires_review\n"


def test_client_event_loops_example_pays_twice(sandbox_url: str, tmp_path: Path) -> None:
    """The client page's event-loop block confirms in two asyncio.run() calls with one client on a live sandbox."""
    code = _block_after("<!-- client-event-loops", CLIENT_DOC)
    result = _run([sys.executable, "-W", "error", "-c", code], tmp_path, sandbox_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "succeeded succeeded\n"
    assert result.stderr == ""


def _transcript(block: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs from a console block (`$ ` prompts, `\\` continuations)."""
    steps: list[tuple[str, list[str]]] = []
    continued = False
    for line in block.splitlines():
        if continued:
            steps[-1] = (steps[-1][0] + "\n" + line, steps[-1][1])
        elif line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
        continued = line.endswith("\\")
    return [(command, "".join(f"{line}\n" for line in output)) for command, output in steps]


def _normalised(text: str) -> str:
    """Ids numbered in order of appearance; secrets, Svix timestamps and signatures masked: two runs compare equal."""
    names: dict[str, str] = {}
    events: dict[str, str] = {}
    text = _SECRET.sub("pi_secret_<secret>", text)
    text = _TIMESTAMP.sub('"svix-timestamp":"<timestamp>"', text)
    text = _SIGNATURE.sub("v1,<signature>", text)
    text = _EVENT_ID.sub(lambda found: events.setdefault(found.group(0), f"msg_<event {len(events) + 1}>"), text)
    return _UUID.sub(lambda found: names.setdefault(found.group(0).lower(), f"<uuid {len(names) + 1}>"), text)


def _until_settled(command: str, receiver_url: str) -> str:
    """The walk-through's `sleep N` (which outlasts the default settlement delay) as a wait, at most 30 s, for
    what the page says it waits for: both webhooks of the last intent (its confirm's and its settlement's)."""
    if not re.fullmatch(r"sleep \d+", command):
        return command
    count = f'$(curl -s {receiver_url} | grep -c "$ID")'
    return f'for _ in $(seq 300); do [ "{count}" -ge 2 ] && break; sleep 0.1; done'


def test_curl_walkthrough_waits_past_the_documented_settlement_delay() -> None:
    """The walk-through sleeps longer than the settlement delay the page states, which is the default."""
    steps = _transcript(_block_after("<!-- readme-walkthrough", SANDBOX_DOC))
    sleeps = [int(command.split()[1]) for command, _ in steps if re.fullmatch(r"sleep \d+", command)]
    delay = Settings().settlement_seconds
    assert len(sleeps) == 1
    assert sleeps[0] > delay
    assert f"after the {delay:g}-second settlement delay" in SANDBOX_DOC.read_text(encoding="utf-8")


def test_curl_walkthrough_behaves_as_written(start_sandbox: Callable[..., LiveSandbox], tmp_path: Path) -> None:
    """Each command of the sandbox page's curl walk-through prints what the page shows (ids, secrets, signatures
    aside), against `make serve-webhooks`' setup: the sandbox sending webhooks to the local receiver. The page's
    `sleep` becomes a wait for the settlement's webhook, on a sandbox that settles in 0.1 s, not 3 s."""
    steps = _transcript(_block_after("<!-- readme-walkthrough", SANDBOX_DOC))
    statuses = [line for _, output in steps for line in output.splitlines() if line.startswith("HTTP ")]
    assert statuses == ["HTTP 200", "HTTP 409", "HTTP 200", "HTTP 200", "HTTP 400", "HTTP 401", "HTTP 200", "HTTP 200"]
    receiver = LocalReceiver(DEFAULT_SECRET, on_line=lambda line: None).start()
    try:
        env = {
            "SANDBOX_WEBHOOKS": f"{receiver.url}={DEFAULT_SECRET}",
            "SANDBOX_SETTLEMENT_SECONDS": WALKTHROUGH_SETTLEMENT_SECONDS,
        }
        sandbox = start_sandbox(env=env)
        separator = "@@ step done @@"
        commands = [
            command.replace(DOCUMENTED_URL, sandbox.url).replace(DOCUMENTED_RECEIVER, receiver.url)
            for command, _ in steps
        ]
        script = "".join(f"{_until_settled(command, receiver.url)}\necho '{separator}'\n" for command in commands)
        result = _run(["bash", "-c", script], tmp_path, sandbox.url)
    finally:
        receiver.stop()
    assert result.returncode == 0, result.stderr
    outputs = result.stdout.split(separator + "\n")[:-1]
    expected = "".join(output for _, output in steps)
    assert _normalised("".join(outputs)) == _normalised(expected)
    assert [_normalised(out) for out in outputs] == [_normalised(output) for _, output in steps]


def test_documented_startup_line_is_the_real_one() -> None:
    """The startup line the sandbox page quotes is what the defaults print."""
    text = SANDBOX_DOC.read_text(encoding="utf-8")
    settings = Settings()
    assert f"`dots sandbox listening on {settings.url()}`, then\n`database: {settings.db}`" in text
    assert settings.url() == DOCUMENTED_URL


ENVIRONMENT_ONLY = {
    "SANDBOX_SETTLEMENT_SECONDS",
    "SANDBOX_WEBHOOKS",
    "SANDBOX_WEBHOOK_RETRY_SECONDS",
    "SANDBOX_WEBHOOK_TIMEOUT_SECONDS",
    "SANDBOX_WEBHOOK_ATTEMPTS_PER_RECEIVER",
    "SANDBOX_WEBHOOK_RETENTION_SECONDS",
}


def test_settings_table_lists_every_variable_and_flag_with_its_default() -> None:
    """Each variable `Settings.from_env` reads is a row of the sandbox page's table, with its flag and real default."""
    text = SANDBOX_DOC.read_text(encoding="utf-8")
    rows = {
        cells[0].strip("`"): (cells[1].strip("`"), cells[2].strip("`"))
        for line in text.splitlines()
        if line.startswith("| `") and len(cells := [cell.strip() for cell in line.strip("|").split("|")]) == 4
    }
    assert set(ENVIRONMENT) <= set(rows)
    help_text = subprocess.run(
        [sys.executable, "-m", "dots_sandbox", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    defaults = Settings()
    for variable, (flag, default) in rows.items():
        if not variable.startswith("SANDBOX_"):
            continue
        # Receivers, their secrets and the lifecycle's timings are environment-only (secrets stay off `ps`).
        assert flag or variable in ENVIRONMENT_ONLY, variable
        assert not flag or flag in help_text
        documented = "" if default == "(none)" else default
        value = Settings.from_env({variable: documented})  # the documented default reads back as the default
        assert value == defaults, variable


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _pages() -> list[Path]:
    return [README, *sorted((ROOT / "docs").glob("*.md")), *sorted(ROOT.glob("[A-Z]*.md"))]


def test_relative_links_resolve() -> None:
    """Every relative link of the README and the docs names a file that exists, and a heading in it."""
    broken = []
    for page in _pages():
        for target in _LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            path, _, fragment = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif fragment and linked.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), flags=re.MULTILINE)
                if fragment not in {_anchor(heading) for heading in headings}:
                    broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def test_readme_maps_every_reference_page() -> None:
    """The README's map names every page of docs/, so no reference page is unreachable from the front page."""
    text = README.read_text(encoding="utf-8")
    missing = [page.name for page in sorted((ROOT / "docs").glob("*.md")) if f"(docs/{page.name})" not in text]
    assert missing == []


def test_makefile_serve_webhooks_uses_the_documented_receiver() -> None:
    """`make serve-webhooks` runs the receiver on the walk-through's port with the documented local secret."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "RECEIVER_PORT ?= 8081" in makefile
    assert f"SANDBOX_WEBHOOK_SECRET ?= {DEFAULT_SECRET}" in makefile
    assert DOCUMENTED_RECEIVER == "http://127.0.0.1:8081/"
    assert DEFAULT_SECRET in SANDBOX_DOC.read_text(encoding="utf-8")


def test_webhook_receiver_example_verifies_real_deliveries(capsys: pytest.CaptureFixture[str]) -> None:
    """The page's receiver example answers 204 to a delivery the sandbox signs, once per svix-id, 400 to a
    tampered body or a stale timestamp, and 500 when its work fails, recording the delivery only once done."""
    namespace: dict[str, Any] = {}
    exec(_block_after("<!-- webhook-receiver-example", SANDBOX_DOC), namespace)  # noqa: S102 (our own docs)
    handle = namespace["handle"]
    intent_id = str(uuid.uuid4())
    body = webhooks.payload(intent_id)
    signer = webhooks.Signer(DEFAULT_SECRET)
    headers = signer.headers("msg_1", body, time.time())
    assert handle(body.encode(), headers, DEFAULT_SECRET) == 204
    assert handle(body.encode(), headers, DEFAULT_SECRET) == 204  # the duplicate
    assert capsys.readouterr().out == f"payment intent changed: {intent_id}\n"
    tampered = webhooks.payload(str(uuid.uuid4())).encode()
    assert handle(tampered, headers, DEFAULT_SECRET) == 400
    act_on = namespace["act_on"]
    namespace["act_on"] = lambda event: 1 / 0  # the work fails: 500, and the svix-id stays unseen
    failing = signer.headers("msg_3", body, time.time())
    assert handle(body.encode(), failing, DEFAULT_SECRET) == 500
    namespace["act_on"] = act_on
    assert handle(body.encode(), failing, DEFAULT_SECRET) == 204  # Svix's retry does the work
    assert capsys.readouterr().out == f"payment intent changed: {intent_id}\n"
    stale = signer.headers("msg_2", body, time.time() - 600)
    assert handle(body.encode(), stale, DEFAULT_SECRET) == 400
    assert capsys.readouterr().out == ""


def test_documented_postgresql_startup_line_masks_as_the_sandbox_does() -> None:
    """The PostgreSQL startup line the sandbox page quotes is what those settings print (password masked)."""
    text = SANDBOX_DOC.read_text(encoding="utf-8")
    settings = Settings(host="0.0.0.0", port=8081, db="postgresql://sandbox:PASSWORD@db.internal:5432/sandbox")  # noqa: S104
    line = f"database: {settings.database.display}"
    assert f"`{line}`" in text
    assert "PASSWORD" not in line


def test_make_serve_keeps_a_database_password_off_the_command_line() -> None:
    """`make serve` and `make serve-postgres` pass the database URL through the environment: make's echo (and so
    `ps`) never shows its password, and a URL's `&` does not split the command."""
    secret = "pw-" + uuid.uuid4().hex
    url = f"postgresql://user:{secret}@127.0.0.1:1/db?sslmode=disable&connect_timeout=1"
    env = {**os.environ, "SANDBOX_DB": url}
    for command in (["make", "-n", "serve"], ["make", "-n", "serve-postgres", f"POSTGRES_URL={url}"]):
        printed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
        assert "-m dots_sandbox" in printed
        assert secret not in printed
        assert "connect_timeout" not in printed
