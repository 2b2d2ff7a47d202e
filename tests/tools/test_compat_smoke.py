"""tools/compat_smoke.py: the lifecycle smoke, with this checkout's client, against in-thread sandboxes."""

from __future__ import annotations

import time

from dots_sandbox.sandbox import Sandbox
from dots_sandbox.settings import Settings
from dots_sandbox.store import open_store
from tests.tools.breaking.catalogue import CREATE_PROPS, CREATE_REQ, append, edited_spec, put
from tools.compat import Run, judge, lines
from tools.compat_smoke import DEFAULT_CREDENTIALS, Smoke, Step

# A required create field added: the change whose old-client run must fail at create.
REQUIRED_FIELD = [put((*CREATE_PROPS, "reference"), {"type": "string"}), append((*CREATE_REQ, "required"), "reference")]


def smoke_against(spec: dict[str, object] | None) -> list[Step]:
    """The smoke with this checkout's client against an in-thread sandbox of `spec` (None: the real one)."""
    settings = Settings(db=":memory:")
    sandbox = Sandbox(settings, open_store(settings.db, settings.synchronous), time.time, spec)
    try:
        with sandbox.serve_in_thread() as served:
            return Smoke(served.base_url, *DEFAULT_CREDENTIALS).run()
    finally:
        sandbox.close()


def test_smoke_passes_every_step_on_the_same_spec() -> None:
    """Create, confirm to each of the four outcomes, retrieve, and the four documented errors all answer as expected."""
    steps = smoke_against(None)
    assert [(step.name, step.got) for step in steps] == [
        ("create", "200 initialized"),
        ("confirm to succeeded", "200 succeeded"),
        ("confirm to failed", "200 failed"),
        ("confirm to requires_action", "200 requires_action"),
        ("confirm to processing", "200 processing"),
        ("retrieve", "200 succeeded"),
        ("confirm again", "409 payment-intent-already-confirmed"),
        ("retrieve unknown", "404 not-found"),
        ("create invalid", "400 invalid-input"),
        ("wrong credentials", "401 unauthorized"),
    ]
    assert all(step.ok for step in steps)
    assert judge([Run("old client -> new sandbox", steps)], "minor")[0] == 0


def test_required_create_field_fails_the_old_client_at_create() -> None:
    """A create that needs a new field answers the old client `400 invalid-input`, contradicting a minor verdict."""
    steps = smoke_against(edited_spec(REQUIRED_FIELD))
    runs = [Run("old client -> new sandbox", steps)]
    assert lines(runs)[0] == "old client -> new sandbox: create: 400 invalid-input (expected 200 initialized)"
    code, line = judge(runs, "minor")
    assert code == 1
    assert "judged minor, but old client -> new sandbox: create: 400 invalid-input" in line
    assert judge(runs, "major")[0] == 0
