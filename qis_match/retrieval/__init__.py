"""Retrieval: candidate capability texts for a query, from a dense (FAISS) and a lexical (BM25)
index, fused into one ranked list."""
