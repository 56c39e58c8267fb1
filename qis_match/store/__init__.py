"""Persistence: the embedding cache and the versioned index directory."""
