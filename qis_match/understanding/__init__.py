"""Need understanding: what the enterprise asks for (needs) and about what (entities, region)."""
