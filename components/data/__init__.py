"""Data generation: verifiable task families, fact tables, answer variants and near-duplicate filtering."""
