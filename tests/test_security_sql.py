import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("brandpulse", "collectors", "sentiment", "store", "alerts")
SQL_METHODS = {"execute", "executemany", "executescript", "query"}
# Statements that must be built as text because SQLite cannot bind them, each holding only integers or
# identifiers from our own code, never a user value: (file, the start of the f-string).
ALLOWED = {
    ("store/sqlite_backend.py", "PRAGMA busy_timeout = "),     # int(BUSY_TIMEOUT_S * 1000), a constant
    ("store/migrations.py", "PRAGMA user_version = "),  # the migration's number
    ("store/sqlite_backend.py", "DROP TRIGGER "),  # _FTS_TRIGGER, a constant trigger name
    # The dialect's time expression (a constant of the backend) around a constant column name.
    ("store/alerts.py", "SELECT ("),
    ("store/alerts.py", "SELECT source, ("),
    ("store/alerts.py", "SELECT coalesce(lang, 'und') AS language, ("),
    # A claim is the caller's constant SELECT with a constant locking clause appended.
    ("store/postgres_backend.py", "% or + formatting"),
    # Giving a reading to a post's copies: a constant UPDATE with the dialect's constant locking clause.
    ("store/mentions.py", ".format()"),
    # Holding an alert's or a mention's row for triage: a constant SELECT with the dialect's constant FOR UPDATE.
    ("store/triage.py", "% or + formatting"),
    # insert_ignoring: the caller's constant table, column and key names.
    ("store/sqlite_backend.py", "INSERT INTO "),
    ("store/postgres_backend.py", "INSERT INTO "),
    ("store/postgres_backend.py", "CREATE TEMPORARY TABLE "),
    ("store/postgres_backend.py", "DROP TABLE "),
    ("store/postgres_backend.py", "VACUUM (ANALYZE) "),
    # Staleness for rescore: the WHERE repeats constant `?` groups, one per configured model and language.
    ("store/rescore.py", "SELECT count(*) FROM mentions WHERE "),
    ("store/rescore.py", "SELECT id, text, rating, lang, brand FROM mentions WHERE "),
    # Folding a brand's or a source's stored spellings: constant statements around name_in's `IN (:brand_0, ...)`,
    # whose names are bound parameters, and constant column names.
    ("store/spellings.py", ".format()"),
    # Copying a store: table names from its constants, column names checked as plain identifiers.
    ("store/copy.py", "SELECT "),
    ("store/copy.py", "INSERT INTO "),
}


# String methods that build a statement from pieces (replace: a statement's text rewritten at run time).
_BUILDERS = ("format", "join", "replace")


def _dynamic_sql(node: ast.expr) -> str | None:
    """A description of SQL built from pieces at run time, or None for a constant or a name."""
    if isinstance(node, ast.JoinedStr):
        head = node.values[0].value if node.values and isinstance(node.values[0], ast.Constant) else ""
        return head
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return "% or + formatting"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _BUILDERS:
        return f".{node.func.attr}()"
    return None


def _offences(relative: str, source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_METHODS):
            continue
        if not node.args:
            continue
        built = _dynamic_sql(node.args[0])
        if built is not None and not any(relative == f and built.startswith(p) for f, p in ALLOWED):
            found.append(f"{relative}:{node.lineno}: SQL built with {built!r}")
    return found


def test_every_sql_statement_is_a_constant_with_bound_parameters():
    offences = [
        o for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))
        for o in _offences(path.relative_to(REPO).as_posix(), path.read_text(encoding="utf-8"))
    ]

    assert not offences, "bind values with ? instead:\n" + "\n".join(offences)


def test_the_sql_scan_catches_fstring_format_and_percent_statements():
    sample = (
        'def bad(db, name):\n'
        '    db.execute(f"SELECT * FROM mentions WHERE brand = \'{name}\'")\n'
        '    db.query("SELECT * FROM t WHERE a = {}".format(name))\n'
        '    db.execute("DELETE FROM t WHERE a = %s" % name)\n'
        '    db.execute(SQL.replace("GROUP BY", f"AND {name} GROUP BY"))\n'
        '    db.execute("SELECT ?", [name])\n'
    )

    offences = _offences("store/probe.py", sample)

    assert [o.split(":")[1] for o in offences] == ["2", "3", "4", "5"]


def test_brandpulse_sql_cannot_write_attach_or_load_extensions(tmp_path, invoke):
    from tests.conftest import write_config

    config = write_config(tmp_path / "c.yaml", "brands: [{name: Acme, keywords: [acme]}]\n")
    invoke("--config", config, "ingest", "-", "--no-classify",
           input='{"source": "x", "id": "1", "text": "acme", "created_at": "2026-03-01T10:00:00Z"}\n')
    before = (tmp_path / "brandpulse.db").read_bytes()

    results = [invoke("--config", config, "sql", statement) for statement in (
        "DELETE FROM mentions",
        f"ATTACH DATABASE '{tmp_path / 'elsewhere.db'}' AS elsewhere",
        "SELECT load_extension('/tmp/evil.so')",
        "PRAGMA journal_mode = DELETE",
    )]

    assert [r.exit_code for r in results] == [1, 1, 1, 1]
    assert not (tmp_path / "elsewhere.db").exists()
    assert (tmp_path / "brandpulse.db").read_bytes() == before
