"""Supply: who in the catalog can serve a sub-service, counted per city and per province.

Read from the index the matcher serves (its resources and capability lines), so that supply and
demand describe the same catalog version. A provider is an institution (a resource it owns counts for
it) or a resource without an owner (an expert); nationwide institutions are counted apart, since they serve anywhere.
"""

from __future__ import annotations

import pandas as pd

from qis_match.store.index_store import IndexData


def provider_lines(index: IndexData) -> pd.DataFrame:
    """One row per (provider, sub-service) with the provider's place and service area."""
    res = index.resources
    lines = index.lines[["resource_id", "sub_service", "category"]].drop_duplicates()
    x = lines.merge(res, on="resource_id", how="left")
    owner = x["institution_id"].where(x["institution_id"].astype(bool), x["resource_id"])
    x = x.assign(provider_id=owner.fillna(x["resource_id"]))
    # An owned resource stands where its owner stands; others have their own region.
    return x[
        [
            "provider_id",
            "resource_type",
            "sub_service",
            "category",
            "province",
            "city",
            "service_area",
        ]
    ].drop_duplicates(["provider_id", "sub_service"])


def supply_table(index: IndexData) -> pd.DataFrame:
    """providers_city, providers_province and providers_national per (sub_service, province, city)."""
    p = provider_lines(index)
    national = p[p["service_area"] == "national"].groupby("sub_service")["provider_id"].nunique()
    city = (
        p.groupby(["sub_service", "province", "city"])["provider_id"]
        .nunique()
        .rename("providers_city")
        .reset_index()
    )
    prov = (
        p.groupby(["sub_service", "province"])["provider_id"]
        .nunique()
        .rename("providers_province")
        .reset_index()
    )
    out = city.merge(prov, on=["sub_service", "province"], how="outer")
    out["providers_national"] = out["sub_service"].map(national).fillna(0).astype(int)
    return out


def attach_supply(table: pd.DataFrame, supply: pd.DataFrame) -> pd.DataFrame:
    """Add supply columns to a table keyed by sub_service, province and city (0 when none)."""
    # the keys as text, even when every value is missing (an all-missing column is float)
    table = table.astype({c: object for c in ("province", "city") if c in table})
    supply = supply.astype({c: object for c in ("province", "city") if c in supply})
    city = supply.dropna(subset=["city"])[["sub_service", "province", "city", "providers_city"]]
    prov = supply[["sub_service", "province", "providers_province"]].drop_duplicates(
        ["sub_service", "province"]
    )
    nat = supply[["sub_service", "providers_national"]].drop_duplicates("sub_service")
    out = table.merge(city, on=["sub_service", "province", "city"], how="left")
    out = out.merge(prov, on=["sub_service", "province"], how="left")
    out = out.merge(nat, on="sub_service", how="left")
    for c in ("providers_city", "providers_province", "providers_national"):
        out[c] = out[c].fillna(0).astype(int)
    return out
