"""Recommendation tools: catalog store, grounding, retrieval, recommenders, filters and fusion."""
