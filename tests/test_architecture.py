"""The layering holds: import-linter's contracts (pyproject.toml) and config's own imports."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold():
    """Entry points -> commands -> services -> models; security and uploads import no rules;
    no import cycles (`lint-imports`, also run by `make test`)."""
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_config_imports_nothing_from_rules_commands_or_views():
    tree = ast.parse((ROOT / "config.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {name for name in imported
                if name.startswith(("app.services", "app.commands", "app.views", "app.integrations"))}
