"""schemathesis as the suite sets it up: the spec from disk, every check on, links for stateful runs."""

from __future__ import annotations

from schemathesis.checks import load_all_checks

from contract_tests.server_schema import new_schema
from dots_spec.document import load_spec
from dots_spec.operations import operations


def test_every_builtin_check_is_enabled() -> None:
    """No schemathesis check is switched off (max_response_time has no limit to check against)."""
    load_all_checks()
    checks = new_schema().config.checks
    names = [name for name in checks.__dataclass_fields__ if not name.startswith("_") and name != "max_response_time"]
    assert {"ignored_auth", "negative_data_rejection", "use_after_free", "ensure_resource_availability"} <= set(names)
    assert all(checks.get_by_name(name=name).enabled for name in names), names


def test_schema_is_pointed_at_a_server_with_credentials() -> None:
    """base_url, Basic credentials and the seed reach the schema's config."""
    schema = new_schema(seed=5, auth=("id", "key"), base_url="http://127.0.0.1:1/api")
    assert schema.get_base_url() == "http://127.0.0.1:1/api"
    assert schema.config.auth_for() == ("id", "key")
    assert schema.config.seed == 5


def test_the_spec_links_drive_the_state_machine() -> None:
    """Every link of openapi.yaml becomes a rule of the state machine."""
    links = [
        name
        for _, _, op in operations(load_spec())
        for response in op["responses"].values()
        for name in response.get("links", {})
    ]
    schema = new_schema()
    assert schema.statistic.transitions.total == len(links) == 4
    rules = [name for name in dir(schema.as_state_machine()) if "___200_" in name]
    for link in links:
        assert any(f"_{link}__" in rule for rule in rules), (link, rules)
