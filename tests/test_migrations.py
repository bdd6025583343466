"""The models and the committed migrations say the same thing."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_have_no_changes_missing_from_migrations() -> None:
    # --check exits non-zero when makemigrations would write anything.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
