"""Resource kinds as plug-ins: institutions, experts, shared equipment, and any a deployment adds.

See :mod:`qis_match.catalog.kinds.base` for the contract and
:mod:`qis_match.catalog.kinds.registry` for how kinds are found. Importing this package
registers the built-in kinds, the institution (required) first.
"""

from qis_match.catalog.kinds.base import (
    LINE_COLUMNS,
    RESOURCE_COLUMNS,
    RankContext,
    ResourceKind,
    TableContext,
)
from qis_match.catalog.kinds.expert import ExpertKind
from qis_match.catalog.kinds.institution import InstitutionKind
from qis_match.catalog.kinds.instrument import InstrumentKind
from qis_match.catalog.kinds.registry import (
    card_of,
    find_kind,
    get_kind,
    kind_names,
    kind_of_table,
    kinds,
    load_kind_modules,
    register,
    table_stems,
    unregister,
)

register(InstitutionKind())
register(ExpertKind())
register(InstrumentKind())

__all__ = [
    "card_of",
    "LINE_COLUMNS",
    "RESOURCE_COLUMNS",
    "RankContext",
    "ResourceKind",
    "TableContext",
    "find_kind",
    "get_kind",
    "kind_names",
    "kind_of_table",
    "kinds",
    "load_kind_modules",
    "register",
    "table_stems",
    "unregister",
]
