"""NCA RK signature verification: certificates, GOST and RSA, CMS, XML-DSig,
chains and revocation. Imports nothing from the web layer."""
