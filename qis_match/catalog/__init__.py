"""The catalog: institutions and their capability lines (schema, loading, demo generation)."""

from qis_match.catalog.loader import Catalog, load_catalog
from qis_match.catalog.passages import capability_text

__all__ = ["Catalog", "capability_text", "load_catalog"]
