"""Migrations safe for a rolling deploy: expand, then contract.

During a rollout the previous release's pods run against the migrated schema, so a migration may
only *expand* it: add tables, add nullable columns or columns with a database default, add indexes
and constraints the old code satisfies. Dropping or renaming a table or a column, or making a column
NOT NULL that old code may leave empty, is a *contract* step: it ships in a later release than the
one that stopped using the column, in a migration that says so with `contract = True` on its
`Migration` class. `manage.py lint_migrations` (run by `make lint`) enforces this.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

# Written before the first production release, when no previous release's code could be broken.
BEFORE_FIRST_RELEASE = frozenset(
    {
        ("chat", "0002_threadstate_archived_at"),
        ("doctors", "0003_directory"),
        ("notifications", "0002_preferences_deliveries_devices_reminders"),
    }
)
CONTRACT_OPERATIONS = (
    migrations.RemoveField,
    migrations.DeleteModel,
    migrations.RenameField,
    migrations.RenameModel,
    migrations.AlterModelTable,
)


@dataclass(frozen=True)
class Problem:
    app_label: str
    migration: str
    operation: str
    reason: str

    def __str__(self) -> str:
        return f"{self.app_label}.{self.migration}: {self.operation}: {self.reason}"


def _has_db_default(field) -> bool:
    return field.db_default is not migrations.operations.fields.NOT_PROVIDED


def operation_problem(operation, *, created_models: set[str], before: ProjectState, app_label: str) -> str:
    """Why `operation` would break the previous release's code, or '' when it is an expand step."""
    if isinstance(operation, CONTRACT_OPERATIONS):
        return "drops or renames what the previous release still reads and writes"
    if isinstance(operation, migrations.AddField):
        field = operation.field
        if operation.model_name_lower in created_models or field.many_to_many or field.null:
            return ""
        if not _has_db_default(field):
            return "NOT NULL column without db_default: the previous release's INSERTs would fail"
    if isinstance(operation, migrations.AlterField):
        field = operation.field
        model = before.models.get((app_label, operation.model_name_lower))
        old = model.fields.get(operation.name) if model else None
        if old is not None and old.null and not field.null and not _has_db_default(field):
            return "makes a column NOT NULL that the previous release may leave empty"
    return ""


def migration_problems(migration, *, before: ProjectState) -> list[Problem]:
    if getattr(migration, "contract", False) or (migration.app_label, migration.name) in BEFORE_FIRST_RELEASE:
        return []
    problems = []
    created: set[str] = set()
    for operation in migration.operations:
        if isinstance(operation, migrations.CreateModel):
            created.add(operation.name_lower)
        reason = operation_problem(operation, created_models=created, before=before, app_label=migration.app_label)
        if reason:
            problems.append(Problem(migration.app_label, migration.name, operation.describe(), reason))
    return problems


def project_migration_problems() -> list[Problem]:
    """Every migration of our own apps (LOCAL_APPS), each checked against the schema before it."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    local_apps = set(settings.LOCAL_APPS)
    problems = []
    for key in sorted(loader.disk_migrations):
        if key[0] not in local_apps:
            continue
        migration = loader.disk_migrations[key]
        if not any(isinstance(op, migrations.AlterField) for op in migration.operations):
            before = ProjectState()
        else:
            before = loader.project_state(key, at_end=False)
        problems += migration_problems(migration, before=before)
    return problems
