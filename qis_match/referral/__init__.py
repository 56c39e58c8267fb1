"""Referrals: the result objects and their JSON contract."""
