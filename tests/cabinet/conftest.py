from tests.web_conftest import clock, keys, pki_settings, web

__all__ = ["clock", "keys", "pki_settings", "web"]
