"""The documentation's examples run as written against a live sandbox, and its links resolve."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dots_sandbox.settings import Settings

if TYPE_CHECKING:
    from conftest import LiveSandbox

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SANDBOX_DOC = ROOT / "docs" / "sandbox.md"
DOCUMENTED_URL = "http://127.0.0.1:8080/api"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SECRET = re.compile(r"pi_secret_[0-9a-f]{32}")


def _block_after(marker: str, page: Path = README) -> str:
    """The fenced block of `page` that follows the HTML comment starting with `marker`."""
    text = page.read_text(encoding="utf-8")
    start = text.index(marker)
    fence = text.index("```", start)
    body = text.index("\n", fence) + 1
    return text[body : text.index("```", body)]


def _env(url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DOTS_", "SANDBOX_"))}
    env["DOTS_BASE_URL"] = url
    return env


def _run(command: list[str], cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    """Run a README command as a user would, with DOTS_BASE_URL pointing at the live sandbox."""
    return subprocess.run(command, cwd=cwd, env=_env(url), capture_output=True, text=True, timeout=60, check=False)


def test_client_example_prints_succeeded(start_sandbox: Callable[..., LiveSandbox], tmp_path: Path) -> None:
    """The python block after `<!-- readme-example` creates and confirms an intent on a live sandbox."""
    code = _block_after("<!-- readme-example")
    sandbox = start_sandbox()
    result = _run([sys.executable, "-c", code], tmp_path, sandbox.url)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(rf"{_UUID.pattern} succeeded\n", result.stdout), result.stdout


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
    """Ids numbered in order of appearance and secrets masked, so two runs compare equal."""
    names: dict[str, str] = {}
    text = _SECRET.sub("pi_secret_<secret>", text)
    return _UUID.sub(lambda found: names.setdefault(found.group(0).lower(), f"<uuid {len(names) + 1}>"), text)


def test_curl_walkthrough_behaves_as_written(start_sandbox: Callable[..., LiveSandbox], tmp_path: Path) -> None:
    """Each command of the sandbox page's curl walk-through prints what the README shows (ids and secrets aside)."""
    steps = _transcript(_block_after("<!-- readme-walkthrough", SANDBOX_DOC))
    statuses = [line for _, output in steps for line in output.splitlines() if line.startswith("HTTP ")]
    assert statuses == ["HTTP 200", "HTTP 409", "HTTP 200", "HTTP 200", "HTTP 400", "HTTP 401"]
    sandbox = start_sandbox()
    separator = "@@ step done @@"
    script = "".join(f"{command.replace(DOCUMENTED_URL, sandbox.url)}\necho '{separator}'\n" for command, _ in steps)
    result = _run(["bash", "-c", script], tmp_path, sandbox.url)
    assert result.returncode == 0, result.stderr
    outputs = result.stdout.split(separator + "\n")[:-1]
    expected = "".join(output for _, output in steps)
    assert _normalised("".join(outputs)) == _normalised(expected)
    assert [_normalised(out) for out in outputs] == [_normalised(output) for _, output in steps]


def test_documented_startup_line_is_the_real_one() -> None:
    """The startup line the sandbox page quotes is what the defaults print."""
    text = SANDBOX_DOC.read_text(encoding="utf-8")
    settings = Settings()
    assert f"`dots sandbox listening on {settings.url()} (db {settings.db})`" in text
    assert settings.url() == DOCUMENTED_URL


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


def test_documented_postgresql_startup_line_masks_as_the_sandbox_does() -> None:
    """The PostgreSQL startup line the sandbox page quotes is what those settings print (password masked)."""
    text = SANDBOX_DOC.read_text(encoding="utf-8")
    settings = Settings(host="0.0.0.0", port=8081, db="postgresql://sandbox:PASSWORD@db.internal:5432/sandbox")  # noqa: S104
    line = f"dots sandbox listening on {settings.url()} (db {settings.database.display})"
    assert f"`{line}`" in text
    assert "PASSWORD" not in line
