"""Development tools: test PKI, OCSP responder, NCALayer and eGov app
emulators. The product never imports this package."""
