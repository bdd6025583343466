"""WSGI entry point: ``gunicorn kabinet.wsgi``."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")

application = get_wsgi_application()

# The trust store and revocation settings load at start-up, not at the
# first login: a worker with no usable trust refuses to start.
from kabinet.login.verification import require_verifier_loads  # noqa: E402

require_verifier_loads()
