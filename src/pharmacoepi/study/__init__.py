"""Study runs."""
