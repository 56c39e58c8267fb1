"""The catalog's two tables and their columns: institutions, and their capability lines.

A capability line is one thing an institution can do for an enterprise: for a lab, a product ×
test item × method standard; for a metrology institute, an instrument × range × accuracy; for
everyone else, a service with its basis. Lines are what retrieval matches; institutions are what
ranking refers to.
"""

from __future__ import annotations

from dataclasses import dataclass

INSTITUTION_COLUMNS: dict[str, bool] = {
    # column: required
    "institution_id": True,
    "name": True,
    "type": True,
    "adcode": True,
    "parent_id": False,
    "province": False,
    "city": False,
    "district": False,
    "address": False,
    "longitude": False,
    "latitude": False,
    "service_area": False,  # local | province | national
    "accreditations": False,  # "|"-separated: CMA|CNAS|计量授权 …
    "channels": False,  # "|"-separated subset of online|onsite
    "small_business_discount": False,  # 小微优惠: true/false
    "discount_note": False,
    "turnaround_days": False,
    "phone": False,
    "email": False,
    "description": False,
    "demo": False,
}

CAPABILITY_COLUMNS: dict[str, bool] = {
    "line_id": True,
    "institution_id": True,
    "sub_service": True,
    "object": True,  # product / sample / instrument / service
    "category": False,  # derived from sub_service; checked when given
    "item": False,  # test item / parameter / what is done
    "standard": False,  # method standard, regulation or basis
    "standard_title": False,
    "measuring_range": False,
    "accuracy": False,
    "description": False,
}

EXPERT_COLUMNS: dict[str, bool] = {
    "expert_id": True,
    "name": True,
    "title": True,
    "affiliation": True,
    "field": True,
    "category": True,  # taxonomy category of the field
    "sub_services": True,  # "|"-separated taxonomy sub-service codes
    "sub_fields": False,  # "|"-separated topics
    "industries": False,  # "|"-separated GB/T 4754-2017 division codes
    "adcode": True,
    "availability": False,  # available | limited | unavailable
    "modes": False,  # "|"-separated subset of onsite|remote
    "services": False,  # "|"-separated: 现场诊断, 培训讲座 …
    "phone": False,
    "email": False,
    "description": False,
    "demo": False,
}

INSTRUMENT_COLUMNS: dict[str, bool] = {
    "instrument_id": True,
    "name": True,  # instrument type
    "owner_institution_id": True,
    "sub_service": True,
    "model": False,
    "measures": False,  # "|"-separated
    "adcode": False,  # default: the owner's
    "address": False,
    "price_unit": False,  # hour | sample
    "price": False,  # CNY per unit
    "booking_channel": False,
    "operated_service": False,  # the owner runs the test for you (代检代测)
    "description": False,
    "demo": False,
}

AVAILABILITY = ("available", "limited", "unavailable")
MODES = ("onsite", "remote")
PRICE_UNITS = ("hour", "sample")
RESOURCE_TYPES = ("institution", "expert", "instrument")
SERVICE_AREAS = ("local", "province", "national")
CHANNELS = ("online", "onsite")
LIST_SEP = "|"


@dataclass(frozen=True)
class CatalogIssue:
    """One problem in one cell (or row) of a catalog file, for the person who maintains it."""

    file: str
    row: int  # spreadsheet row number: the header is row 1
    column: str
    message: str
    severity: str = "error"  # error: row rejected | warning: row kept

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, column {self.column!r}: {self.message}"
