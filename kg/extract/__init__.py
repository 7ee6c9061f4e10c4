"""Extractors: text in, mentions (and metrics) out."""
