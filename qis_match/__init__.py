"""qis-match: understand an enterprise's QI request and refer it to capable institutions.

Pipeline: text → understanding → retrieval → ranking → referral, over a catalog indexed in a
versioned store. Start with :class:`qis_match.pipeline.Matcher` and :func:`qis_match.build.build_index`.
"""

__version__ = "0.1.0"
