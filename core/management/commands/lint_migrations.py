from django.core.management.base import BaseCommand, CommandError

from core.migration_safety import project_migration_problems


class Command(BaseCommand):
    help = "Fail on a migration that would break the previous release during a rolling deploy (expand/contract)."

    def handle(self, *args, **options):
        problems = project_migration_problems()
        for problem in problems:
            self.stderr.write(f"  {problem}")
        if problems:
            raise CommandError(
                f"{len(problems)} migration operation(s) unsafe for a rolling deploy. Split them: expand now, "
                "contract in a later release with `contract = True` on its Migration class (docs/deploy.md)."
            )
        self.stdout.write("Migrations are safe for a rolling deploy (expand only, or marked contract steps).")
