from __future__ import annotations

import logging

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class QrLoginConfig(AppConfig):
    name = "kabinet.login.qr"
    label = "login_qr"
    verbose_name = _("QR login")

    def ready(self) -> None:
        # API 1 must name the bank with its BIN (NIT QR spec, API 1
        # organisation.bin); without it the QR login is switched off rather
        # than shown to the eGov apps with a made-up number.
        if settings.KABINET_BANK_BIN is None:
            logger.warning(
                "KABINET_BANK_BIN is not set: the QR login (eGov Mobile / eGov "
                "Business) is switched off"
            )
