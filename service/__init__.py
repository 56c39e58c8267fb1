"""The one-stop window web service (FastAPI): JSON API, clerk console, SME search, ticket board.

``service.app:create_app`` builds the app from the engine's settings; ``qis-match serve`` runs it.
"""
