"""Analysis: fusion into sites and tracks, confidence, contradictions, views, situation reports."""
