"""jieba's own dictionary and part-of-speech tagger, loaded once for every reader that needs them.

The project tokenizer (``tokenize``) cuts with a QI dictionary. Two readers need jieba's general
dictionary instead: the name recogniser (its ``nr`` tags) and the homophone reader (is a window
an everyday word?). They share this one copy, loaded on first use (about 0.8 s).
"""

from __future__ import annotations

import logging
from functools import lru_cache


@lru_cache(maxsize=1)
def default_tagger():
    """jieba's part-of-speech tagger over its default dictionary (thread-safe: jieba locks)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    tagger = jieba.posseg.POSTokenizer(jieba.Tokenizer())
    tagger.tokenizer.initialize()
    return tagger


def word_frequency() -> dict[str, int]:
    """Word → frequency in jieba's default dictionary."""
    return default_tagger().tokenizer.FREQ
