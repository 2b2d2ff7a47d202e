"""The schema described once (`store/schema.py`): one version, one table description, each engine's types."""

from __future__ import annotations

import ast
from pathlib import Path

import psycopg

from dots_sandbox.store import postgresql, sqlite
from dots_sandbox.store.schema import TABLES, Column, ColumnTypes, Table, create_table

ROOT = Path(__file__).resolve().parents[3]
HAND_WRITTEN = ("dots_spec", "dots_sandbox", "dots_testing", "contract_tests", "tools", "bench", "codegen")


def test_schema_version_is_defined_once() -> None:
    """One assignment of SCHEMA_VERSION in the hand-written code, in store/schema.py (the engines import it)."""
    defined = [
        str(path.relative_to(ROOT))
        for folder in HAND_WRITTEN
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "SCHEMA_VERSION" in (text := path.read_text(encoding="utf-8"))
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and any(isinstance(target, ast.Name) and target.id == "SCHEMA_VERSION" for target in _targets(node))
    ]
    assert defined == ["dots_sandbox/store/schema.py"]


def _targets(node: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def _described(types: ColumnTypes, spelled: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Each table's (column, type) as the description gives them in `types`, types spelled as the engine reports."""
    return {
        table.name: [
            (column.name, spelled.get(getattr(types, column.kind), getattr(types, column.kind)))
            for column in table.columns
            if column.kind != "sequence" or types.sequence is not None
        ]
        for table in TABLES
    }


def test_a_sqlite_database_has_the_described_tables() -> None:
    """Made by SQLiteStore: the described tables in SQLite's types, no `seq` (rowid), intents WITHOUT ROWID."""
    store = sqlite.SQLiteStore(":memory:")
    try:
        connection = store._connection()
        found = {
            table.name: [(row[1], row[2]) for row in connection.execute(f"PRAGMA table_info({table.name})")]
            for table in TABLES
        }
        intents = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'payment_intents'").fetchone()
    finally:
        store.close()
    assert found == _described(sqlite.TYPES, {})
    assert intents[0].endswith("WITHOUT ROWID")


def test_a_postgresql_database_has_the_described_tables(postgres_url: str) -> None:
    """Made by PostgreSQLStore: every described table and column in PostgreSQL's types, `seq` included."""
    postgresql.PostgreSQLStore(postgres_url, pool_size=1).close()
    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'"
            " AND table_name <> 'dots_sandbox_schema' ORDER BY table_name, ordinal_position"
        ).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        found.setdefault(table, []).append((column, kind))
    assert found == _described(postgresql.TYPES, {"bigserial": "bigint"})
    assert ("seq", "bigint") in found["webhook_attempts"]


def test_create_table_writes_keys_and_leaves_out_an_absent_sequence() -> None:
    """A composite key becomes a PRIMARY KEY clause; a `sequence` column needs a type to appear."""
    columns = (Column("n", "sequence", "PRIMARY KEY"), Column("a", "text", "NOT NULL"), Column("b", "boolean"))
    table = Table("t", columns, key=("a", "b"), keyed_only=True)
    with_sequence = ColumnTypes("varchar", "blob", "real", "int", "bool", sequence="serial", keyed_only="KEYED")
    assert create_table(table, with_sequence) == (
        "CREATE TABLE IF NOT EXISTS t (\n    n serial PRIMARY KEY,\n    a varchar NOT NULL,\n    b bool,\n"
        "    PRIMARY KEY (a, b)\n) KEYED"
    )
    without = ColumnTypes("varchar", "blob", "real", "int", "bool", sequence=None, keyed_only="")
    assert create_table(table, without) == (
        "CREATE TABLE IF NOT EXISTS t (\n    a varchar NOT NULL,\n    b bool,\n    PRIMARY KEY (a, b)\n)"
    )
