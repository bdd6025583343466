"""The QR login: eGov Mobile or eGov Business signs, the browser logs in.

NIT's "QR signing" protocol (mgovSign), as egov-qr.md describes it:

1. The login page asks for a code (``POST /api/auth/qr/start``) and shows
   ``mobileSign:<API 1 URL>`` as a QR code, or on a phone the m.egov.kz
   links that open the app with the same URL.
2. The app reads API 1 (who asks, until when, where API 2 is and the bearer
   token for it), then API 2 (one XML ``<login>`` document to sign), and
   PUTs the signed document back to API 2.
3. The PUT is checked like the ЭЦП login: the same verifier, role policy,
   audit log and rate limits (:mod:`kabinet.login.qr.verification`).
4. The page polls ``GET /api/auth/qr/<id>/status`` from the browser session
   that asked for the code; when it sees the login signed, that very request
   opens the session (:func:`kabinet.login.signin.start_session`).

Every step is a row in the database changed by conditional UPDATEs, so the
app's calls and the browser's polls may reach different worker processes.
"""
