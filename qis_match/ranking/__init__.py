"""Ranking: from matching capability lines to ranked, diverse, nearby institutions."""
