"""The DuckDB warehouse: the only package that opens it for writing."""
