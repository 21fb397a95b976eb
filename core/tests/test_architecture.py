"""The apps' dependency order, enforced: a module may import, at module level, only from its own app
and the apps below it. An upward call is a function-level import, and each one is listed here (see
docs/architecture.md, "Dependency order")."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. Each app may import the apps to its left.
ORDER = [
    "core",
    "notifications",
    "support",
    "accounts",
    "doctors",
    "appointments",
    "waitlist",
    "payments",
    "chat",
    "portal",
    "clinics",
]
# The back office: every app's admin module sits above all apps, as the clinics app does (it scopes
# each app's admin to the staff's clinic and calls every app's services).
BACK_OFFICE = len(ORDER)

# The upward calls that exist, as (importing module, imported app). A new one is a design decision:
# add it here on purpose, and say why at the import.
UP_CALLS = {
    ("accounts/services.py", "doctors"),  # a doctor's registration creates their profile; renames refresh search
    ("accounts/services.py", "appointments"),  # a relative with upcoming visits stays; their visits re-sync
    ("appointments/demo.py", "payments"),  # the demo pays some clinic appointments
    ("appointments/services.py", "payments"),  # a cancellation refunds through payments
    ("appointments/services.py", "waitlist"),  # a freed slot goes to the waitlist's first in line
    ("accounts/services.py", "waitlist"),  # GDPR erasure removes the waitlist entries; a waiting relative stays
    ("doctors/demo.py", "appointments"),  # demo reviews need completed appointments
    ("doctors/filters.py", "appointments"),  # the search's availability window asks the slot engine
    ("doctors/services.py", "appointments"),  # reviews check the appointment; profile edits drop availability
    ("notifications/demo.py", "accounts"),  # demo notifications go to the demo patients
    ("support/services.py", "appointments"),  # a support request may name one of the user's appointments
}


def _modules():
    """(rank, path) of every module that is not a test or a migration."""
    for rank, app in enumerate(ORDER):
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts or "testing" in parts:
                continue
            yield (BACK_OFFICE if path.name == "admin.py" else rank), path


def _imported_apps(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        names = [node.module]
    else:
        return []
    return [name.split(".")[0] for name in names if name.split(".")[0] in ORDER]


def test_module_level_imports_only_go_down_the_dependency_order():
    upward = []
    for rank, path in _modules():
        for node in ast.parse(path.read_text()).body:
            for imported in _imported_apps(node):
                if ORDER.index(imported) > rank:
                    upward.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {imported}")
    assert upward == []


def test_every_upward_call_is_a_listed_function_level_import():
    found = set()
    for rank, path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            for imported in _imported_apps(node):
                if ORDER.index(imported) > rank:
                    found.add((str(path.relative_to(ROOT)), imported))
    assert found == UP_CALLS


def test_no_signal_receivers_of_our_own_on_model_saves():
    offenders = []
    for _rank, path in _modules():
        text = path.read_text()
        for signal in ("post_save", "pre_save", "post_delete", "pre_delete", "m2m_changed"):
            if signal in text:
                offenders.append(f"{path.relative_to(ROOT)}: {signal}")
    assert offenders == []
