"""Screening: one pass over each input table that types it, checks its rows and keeps only
what later stages need (steps.py)."""
