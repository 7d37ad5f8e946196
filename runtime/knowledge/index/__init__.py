"""Chunks of indexed files: their SQL, the derived vector index, keyword and vector search."""
