"""The request parameters the page gives NCALayer for a role (nca-pki.md 3.2).

The page fills in ``data`` (the challenge) and sends
``{"module": ..., "method": ..., "args": {...}}`` over NCALayer's WebSocket.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from kabinet.login.roles import RolePolicy, ncalayer_key_filter

MODULE = "kz.gov.pki.knca.basics"
METHOD = "sign"


def signer_params(policy: RolePolicy) -> dict[str, Any]:
    """``signerParams`` for the role: which keys NCALayer lets the user pick.

    ``chain`` null lets NCALayer offer only keys of the current production
    NCA; ``[]`` turns its own chain check off, which the NCA test keys need.
    The server checks the chain either way.
    """
    return {
        "extKeyUsageOids": ncalayer_key_filter(policy),
        "chain": None if settings.KABINET_TRUST == "production" else [],
    }


def sign_args(policy: RolePolicy, *, locale: str) -> dict[str, Any]:
    """Everything in ``args`` except ``data``: an attached CMS, no timestamp."""
    storages: list[str] = settings.KABINET_NCALAYER_STORAGES
    return {
        "allowedStorages": storages or None,
        "format": "cms",
        "signingParams": {"decode": True, "encapsulate": True, "digested": False},
        "signerParams": signer_params(policy),
        "locale": locale,
    }


def ncalayer_request(policy: RolePolicy, *, locale: str) -> dict[str, Any]:
    """The module, method and argument template for the page."""
    return {
        "module": MODULE,
        "method": METHOD,
        "args": sign_args(policy, locale=locale),
    }
