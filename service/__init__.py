"""The web service (FastAPI) — issue #4. The engine it will serve is :mod:`qis_match`."""
