"""Signing in: roles and their policy, challenges, the ЭЦП login through
NCALayer, the audit log and the rate limits."""
