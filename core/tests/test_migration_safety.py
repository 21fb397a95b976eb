"""The expand/contract rule on synthetic migrations, and on the project's own."""

from django.db import migrations, models
from django.db.migrations.state import ModelState, ProjectState

from core.migration_safety import migration_problems, project_migration_problems


def migration(*operations, contract: bool = False):
    result = migrations.Migration("0099_next_release", "chat")
    result.operations = list(operations)
    if contract:
        result.contract = True
    return result


def state_with_nullable_note() -> ProjectState:
    state = ProjectState()
    state.add_model(
        ModelState(
            "chat", "thread", [("id", models.BigAutoField(primary_key=True)), ("note", models.TextField(null=True))]
        )
    )
    return state


def reasons(problems) -> list[str]:
    return [problem.reason for problem in problems]


def test_dropping_or_renaming_in_one_step_is_refused():
    unsafe = migration(
        migrations.RemoveField("thread", "note"),
        migrations.RenameField("thread", "subject", "title"),
        migrations.RenameModel("Thread", "Conversation"),
        migrations.DeleteModel("Draft"),
    )

    problems = migration_problems(unsafe, before=state_with_nullable_note())

    assert len(problems) == 4
    assert problems[0].operation == "Remove field note from thread"
    assert set(reasons(problems)) == {"drops or renames what the previous release still reads and writes"}


def test_a_marked_contract_step_may_drop():
    contract = migration(migrations.RemoveField("thread", "note"), contract=True)

    assert migration_problems(contract, before=state_with_nullable_note()) == []


def test_not_null_column_without_database_default_is_refused_on_an_existing_table():
    add = migration(migrations.AddField("thread", "pinned", models.BooleanField(default=False)))

    assert reasons(migration_problems(add, before=ProjectState())) == [
        "NOT NULL column without db_default: the previous release's INSERTs would fail"
    ]


def test_expand_steps_pass():
    expand = migration(
        migrations.AddField("thread", "pinned", models.BooleanField(default=False, db_default=False)),
        migrations.AddField("thread", "topic", models.CharField(max_length=20, null=True)),
        migrations.CreateModel("Draft", [("id", models.BigAutoField(primary_key=True))]),
        migrations.AddField("draft", "body", models.TextField()),
    )

    assert migration_problems(expand, before=ProjectState()) == []


def test_making_a_nullable_column_not_null_is_a_contract_step():
    alter = migration(migrations.AlterField("thread", "note", models.TextField(default="")))

    assert reasons(migration_problems(alter, before=state_with_nullable_note())) == [
        "makes a column NOT NULL that the previous release may leave empty"
    ]
    with_db_default = migration(migrations.AlterField("thread", "note", models.TextField(db_default="")))
    assert migration_problems(with_db_default, before=state_with_nullable_note()) == []


def test_the_projects_migrations_are_safe_for_a_rolling_deploy():
    assert [str(problem) for problem in project_migration_problems()] == []
