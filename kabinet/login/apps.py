from __future__ import annotations

import logging
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class LoginConfig(AppConfig):
    name = "kabinet.login"
    label = "login"
    verbose_name = _("Login")

    def ready(self) -> None:
        from kabinet.login import roles

        # Checked at start-up: a wrong KABINET_ROLE_POLICY stops the process
        # with the setting's name in the error, not the first login.
        roles.role_policies()
        if settings.KABINET_REVOCATION == "off":
            logger.warning(
                "KABINET_REVOCATION=off: signer certificates are not checked "
                "for revocation"
            )
        setting_changed.connect(_drop_cached_configuration)

        from kabinet.login import staff

        user_login_failed.connect(
            staff.record_failure, dispatch_uid="kabinet.login.staff"
        )


def _drop_cached_configuration(*, setting: str, **kwargs: Any) -> None:
    from kabinet.login import roles, verification

    if setting == "KABINET_ROLE_POLICY":
        roles.role_policies.cache_clear()
    if setting in verification.VERIFIER_SETTINGS:
        verification.reset_verifier()
