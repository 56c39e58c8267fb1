"""Reliability and security tests (issue #9)."""
