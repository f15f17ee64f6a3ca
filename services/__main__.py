"""`python -m services` is the `glance` command (used to start child services)."""

from services.cli.main import app

app(prog_name="glance")
