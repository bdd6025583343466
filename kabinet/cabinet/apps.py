from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CabinetConfig(AppConfig):
    name = "kabinet.cabinet"
    label = "cabinet"
    verbose_name = _("Cabinet")
