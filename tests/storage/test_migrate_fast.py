"""The schema check every command makes on opening a database reads the revision
files and ``alembic_version`` directly (importing Alembic costs half a second of
each ``jieneng import``); it must agree with Alembic itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from jieneng.services.database import open_database
from jieneng.storage import migrate


def test_the_head_read_from_the_files_is_alembics() -> None:
    alembic_head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert migrate._head_from_files() == alembic_head
    assert migrate.head_revision() == alembic_head


def test_the_current_revision_read_directly_is_alembics(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == \
                MigrationContext.configure(conn).get_current_revision()
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
    assert migrate.current_revision(f"sqlite:///{tmp_path / 'empty.db'}") is None


def test_an_import_loads_neither_alembic_nor_the_rule_engine(tmp_path: Path) -> None:
    """What ``jieneng import consumption`` imports to open a migrated database and
    import a small file (the data-quality engine is loaded only for a small import)."""
    db = tmp_path / "x.db"
    open_database(f"sqlite:///{db}").dispose()
    code = (
        "import sys\n"
        "from jieneng.services.database import open_database\n"
        "from jieneng.services.entry import imports\n"
        f"open_database('sqlite:///{db}').dispose()\n"
        "print(sorted(m for m in ('alembic', 'jieneng.storage.quality.evaluation')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]", out.stderr
