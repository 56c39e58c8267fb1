"""Encoders behind one interface, chosen by settings: ``e5`` (embedded default) or
``sentence-transformers`` (any local model directory)."""

from __future__ import annotations

from qis_match.encoders.base import Encoder
from qis_match.settings import Settings


def make_encoder(settings: Settings) -> Encoder:
    """Build the encoder the settings name."""
    if settings.encoder == "e5":
        from qis_match.encoders.e5 import E5Encoder

        return E5Encoder(settings.encoder_threads or None, settings.encode_max_tokens)
    if settings.encoder == "hybrid":
        from qis_match.encoders.e5 import E5Encoder
        from qis_match.encoders.hybrid import HybridEncoder
        from qis_match.encoders.sentence_transformers import SentenceTransformerEncoder

        if not settings.encoder_model:
            raise ValueError(
                "encoder 'hybrid' needs QIS_ENCODER_MODEL=/path/to/static-model (passages)"
            )
        return HybridEncoder(
            E5Encoder(settings.encoder_threads or None, settings.encode_max_tokens),
            SentenceTransformerEncoder(settings.encoder_model, lazy=True),
        )
    if settings.encoder == "sentence-transformers":
        from qis_match.encoders.sentence_transformers import SentenceTransformerEncoder

        if not settings.encoder_model:
            raise ValueError(
                "encoder 'sentence-transformers' needs QIS_ENCODER_MODEL=/path/to/model"
            )
        return SentenceTransformerEncoder(
            settings.encoder_model,
            query_prefix=settings.encoder_query_prefix,
            passage_prefix=settings.encoder_passage_prefix,
        )
    raise ValueError(f"unknown encoder {settings.encoder!r}")


__all__ = ["Encoder", "make_encoder"]
