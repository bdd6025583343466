"""Every object identifier the trust engine uses, as dotted strings.

Kazakh OIDs come from the national registry at root.gov.kz/oid (arc
1.2.398.3.10 "Базовая криптография" for algorithms, 1.2.398.3.3 for the NCA
profile). Compare parsed OIDs with these constants, never with library
names: asn1crypto and cryptography know none of the Kazakh ones.
"""

from __future__ import annotations

from typing import Final

# --- GOST R 34.10-2015 (KZ arc 1.2.398.3.10.1.1.2) -------------------------

GOST2015_256_KEY: Final = "1.2.398.3.10.1.1.2.1"
GOST2015_256_PARAM_SET_A: Final = "1.2.398.3.10.1.1.2.1.1"
GOST2015_512_KEY: Final = "1.2.398.3.10.1.1.2.2"
GOST2015_512_PARAM_SET_A: Final = "1.2.398.3.10.1.1.2.2.1"
GOST2015_256_SIGNATURE: Final = "1.2.398.3.10.1.1.2.3.1"
GOST2015_512_SIGNATURE: Final = "1.2.398.3.10.1.1.2.3.2"

STREEBOG_256: Final = "1.2.398.3.10.1.3.2"
STREEBOG_512: Final = "1.2.398.3.10.1.3.3"

# --- GOST 34.310-2004 and GOST 34.311-95 (legacy; CAs expired 2025-06-25) --

GOST2004_KEY: Final = "1.2.398.3.10.1.1.1.1"
GOST2004_PARAM_SET_A: Final = "1.2.398.3.10.1.1.1.1.1"
GOST2004_SIGNATURE: Final = "1.2.398.3.10.1.1.1.2"
# The same algorithm under a Kalkan provider arc, seen on TSA policies.
GOST2004_SIGNATURE_ALT: Final = "1.3.6.1.4.1.6801.1.2.2"
GOST34311_DIGEST: Final = "1.2.398.3.10.1.3.1"
GOST34311_PARAM_SET_TEST: Final = "1.2.398.3.10.1.3.1.1.0"

# --- The same algorithms under the Russian tc26 arc (RFC 7836, RFC 9215) ---
# Registered with asn1crypto so that foreign GOST material parses; they are
# never accepted for verification (RFC 4491 byte order differs from KZ).

TC26_GOST2012_256_KEY: Final = "1.2.643.7.1.1.1.1"
TC26_GOST2012_512_KEY: Final = "1.2.643.7.1.1.1.2"
TC26_STREEBOG_256: Final = "1.2.643.7.1.1.2.2"
TC26_STREEBOG_512: Final = "1.2.643.7.1.1.2.3"
TC26_GOST2012_256_SIGNATURE: Final = "1.2.643.7.1.1.3.2"
TC26_GOST2012_512_SIGNATURE: Final = "1.2.643.7.1.1.3.3"
TC26_GOST2012_256_PARAM_SET_A: Final = "1.2.643.7.1.2.1.1.1"
TC26_GOST2012_512_PARAM_SET_A: Final = "1.2.643.7.1.2.1.2.1"
CRYPTOPRO_GOST2001_KEY: Final = "1.2.643.2.2.19"
CRYPTOPRO_PARAM_SET_A: Final = "1.2.643.2.2.35.1"

# --- RSA and the SHA family ------------------------------------------------

RSA_ENCRYPTION: Final = "1.2.840.113549.1.1.1"
SHA256_WITH_RSA: Final = "1.2.840.113549.1.1.11"
SHA1: Final = "1.3.14.3.2.26"
SHA256: Final = "2.16.840.1.101.3.4.2.1"

# --- NCA user roles, carried in extendedKeyUsage (1.2.398.3.3.4) ------------

ROLE_INDIVIDUAL: Final = "1.2.398.3.3.4.1.1"
ROLE_INDIVIDUAL_INFORMATION_SYSTEM: Final = "1.2.398.3.3.4.1.1.1"
ROLE_LEGAL_ENTITY: Final = "1.2.398.3.3.4.1.2"
ROLE_FIRST_HEAD: Final = "1.2.398.3.3.4.1.2.1"
ROLE_SIGNER: Final = "1.2.398.3.3.4.1.2.2"
ROLE_FINANCIAL_SIGNER: Final = "1.2.398.3.3.4.1.2.3"
ROLE_HR: Final = "1.2.398.3.3.4.1.2.4"
ROLE_EMPLOYEE: Final = "1.2.398.3.3.4.1.2.5"
# Information systems of legal entities: this arc and one sub-arc per
# registered system (1.2.398.3.3.4.1.2.6.N).
ROLE_LEGAL_INFORMATION_SYSTEM: Final = "1.2.398.3.3.4.1.2.6"
ROLE_NCA_ADMINISTRATOR: Final = "1.2.398.3.3.4.2.1"
ROLE_NCA_MANAGER: Final = "1.2.398.3.3.4.2.2"
ROLE_NCA_OPERATOR: Final = "1.2.398.3.3.4.2.3"
IDENTIFIED_AT_PUBLIC_SERVICE_CENTRE: Final = "1.2.398.3.3.4.3.1"
IDENTIFIED_REMOTELY: Final = "1.2.398.3.3.4.3.2"
IDENTIFIED_BY_DIGITAL_ID: Final = "1.2.398.3.3.4.3.2.1"
IDENTIFIED_BY_AI_PLATFORM: Final = "1.2.398.3.3.4.3.2.2"
ROLE_TREASURY_CLIENT: Final = "1.2.398.5.19.1.2.2.1"

# --- NCA key storage extension (1.2.398.3.3.5), SEQUENCE OF OID -------------

KEY_STORAGE_EXTENSION: Final = "1.2.398.3.3.5"
KEY_STORAGE_PKCS12: Final = "1.2.398.3.3.5.1.1"
KEY_STORAGE_JKS: Final = "1.2.398.3.3.5.1.2"
KEY_STORAGE_ID_CARD: Final = "1.2.398.3.3.5.2.1"
KEY_STORAGE_KAZTOKEN: Final = "1.2.398.3.3.5.2.2"
KEY_STORAGE_ETOKEN_JAVA: Final = "1.2.398.3.3.5.2.3"
KEY_STORAGE_ETOKEN_5110: Final = "1.2.398.3.3.5.2.4"
KEY_STORAGE_JACARTA: Final = "1.2.398.3.3.5.2.5"
KEY_STORAGE_AKEY: Final = "1.2.398.3.3.5.2.6"
KEY_STORAGE_SIM: Final = "1.2.398.3.3.5.2.7"
KEY_STORAGE_CLOUD: Final = "1.2.398.3.3.5.3.1"

# --- NCA certificate policies (1.2.398.3.3.2) -------------------------------

POLICY_NCA_ROOT: Final = "1.2.398.3.1.2"
POLICY_NCA: Final = "1.2.398.3.3.2"
POLICY_LEGAL_SIGNATURE: Final = "1.2.398.3.3.2.1"
POLICY_LEGAL_AUTHENTICATION: Final = "1.2.398.3.3.2.2"
POLICY_INDIVIDUAL_SIGNATURE: Final = "1.2.398.3.3.2.3"
POLICY_INDIVIDUAL_AUTHENTICATION: Final = "1.2.398.3.3.2.4"

# --- Extended key usage (RFC 5280 4.2.1.12) ---------------------------------

ANY_EXTENDED_KEY_USAGE: Final = "2.5.29.37.0"
EKU_CLIENT_AUTH: Final = "1.3.6.1.5.5.7.3.2"
EKU_EMAIL_PROTECTION: Final = "1.3.6.1.5.5.7.3.4"
EKU_TIME_STAMPING: Final = "1.3.6.1.5.5.7.3.8"
EKU_OCSP_SIGNING: Final = "1.3.6.1.5.5.7.3.9"

# --- Certificate and CRL extensions (RFC 5280 4.2, 5.2) ---------------------

SUBJECT_KEY_IDENTIFIER: Final = "2.5.29.14"
KEY_USAGE: Final = "2.5.29.15"
SUBJECT_ALT_NAME: Final = "2.5.29.17"
BASIC_CONSTRAINTS: Final = "2.5.29.19"
CRL_NUMBER: Final = "2.5.29.20"
CRL_REASON: Final = "2.5.29.21"
HOLD_INSTRUCTION: Final = "2.5.29.23"
INVALIDITY_DATE: Final = "2.5.29.24"
DELTA_CRL_INDICATOR: Final = "2.5.29.27"
ISSUING_DISTRIBUTION_POINT: Final = "2.5.29.28"
CERTIFICATE_ISSUER: Final = "2.5.29.29"
CRL_DISTRIBUTION_POINTS: Final = "2.5.29.31"
CERTIFICATE_POLICIES: Final = "2.5.29.32"
AUTHORITY_KEY_IDENTIFIER: Final = "2.5.29.35"
EXTENDED_KEY_USAGE: Final = "2.5.29.37"
FRESHEST_CRL: Final = "2.5.29.46"
EXPIRED_CERTS_ON_CRL: Final = "2.5.29.60"
AUTHORITY_INFORMATION_ACCESS: Final = "1.3.6.1.5.5.7.1.1"
ACCESS_OCSP: Final = "1.3.6.1.5.5.7.48.1"
ACCESS_CA_ISSUERS: Final = "1.3.6.1.5.5.7.48.2"

# --- OCSP (RFC 6960) --------------------------------------------------------

OCSP_BASIC_RESPONSE: Final = "1.3.6.1.5.5.7.48.1.1"
OCSP_NONCE: Final = "1.3.6.1.5.5.7.48.1.2"
OCSP_NO_CHECK: Final = "1.3.6.1.5.5.7.48.1.5"
OCSP_EXTENDED_REVOKE: Final = "1.3.6.1.5.5.7.48.1.9"

# --- Distinguished name attributes (RFC 4519, PKCS#9) -----------------------

COMMON_NAME: Final = "2.5.4.3"
SURNAME: Final = "2.5.4.4"
SERIAL_NUMBER: Final = "2.5.4.5"
COUNTRY: Final = "2.5.4.6"
LOCALITY: Final = "2.5.4.7"
STATE: Final = "2.5.4.8"
ORGANISATION: Final = "2.5.4.10"
ORGANISATIONAL_UNIT: Final = "2.5.4.11"
GIVEN_NAME: Final = "2.5.4.42"
EMAIL_ADDRESS: Final = "1.2.840.113549.1.9.1"

# --- CMS (RFC 5652, RFC 5035, RFC 3161) -------------------------------------

CMS_DATA: Final = "1.2.840.113549.1.7.1"
CMS_SIGNED_DATA: Final = "1.2.840.113549.1.7.2"
CMS_ENCRYPTED_DATA: Final = "1.2.840.113549.1.7.6"
CMS_CONTENT_TYPE: Final = "1.2.840.113549.1.9.3"
CMS_MESSAGE_DIGEST: Final = "1.2.840.113549.1.9.4"
CMS_SIGNING_TIME: Final = "1.2.840.113549.1.9.5"
CMS_SIGNING_CERTIFICATE: Final = "1.2.840.113549.1.9.16.2.12"
CMS_TIME_STAMP_TOKEN: Final = "1.2.840.113549.1.9.16.2.14"  # noqa: S105
CMS_SIGNING_CERTIFICATE_V2: Final = "1.2.840.113549.1.9.16.2.47"
TST_INFO: Final = "1.2.840.113549.1.9.16.1.4"

# --- PKCS#12 (RFC 7292) -----------------------------------------------------

PKCS12_KEY_BAG: Final = "1.2.840.113549.1.12.10.1.1"
PKCS12_SHROUDED_KEY_BAG: Final = "1.2.840.113549.1.12.10.1.2"
PKCS12_CERT_BAG: Final = "1.2.840.113549.1.12.10.1.3"
PKCS12_X509_CERTIFICATE: Final = "1.2.840.113549.1.9.22.1"
PKCS9_FRIENDLY_NAME: Final = "1.2.840.113549.1.9.20"
PKCS9_LOCAL_KEY_ID: Final = "1.2.840.113549.1.9.21"
PBE_SHA1_3DES: Final = "1.2.840.113549.1.12.1.3"
PBE_SHA1_RC2_40: Final = "1.2.840.113549.1.12.1.6"
