"""Outputs: the catalogue of every file a run can write (catalogue.py) and how files and
folders are written safely (write.py)."""
