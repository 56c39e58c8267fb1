"""Text handling: normalisation of messy pasted input and QI-aware tokenization."""
