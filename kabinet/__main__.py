"""The ``kabinet`` console script.

``kabinet pki ...`` runs the verification core's command line, which needs
no web framework; everything else is a Django management command
(``kabinet migrate``, ``kabinet runserver``, ``kabinet createsuperuser``...).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["pki"]:
        from kabinet.pki.cli import main as pki_main

        return pki_main(args[1:])

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kabinet", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
