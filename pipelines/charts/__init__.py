"""Charts: a versioned spec → one SQL query per warehouse dialect → rows → a matplotlib figure (PNG/SVG/PDF)."""
