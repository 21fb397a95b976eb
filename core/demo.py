"""What every app's demo seeder shares."""

# The password of every demo account; `manage.py seed_demo` prints it once, beside the logins.
DEMO_PASSWORD = "demo-pass-2026"
