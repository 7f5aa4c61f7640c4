"""The report's sections, in page order; each returns None when its data is absent."""
