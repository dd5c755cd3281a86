"""Great Expectations suites, one module per landed table.

Suites are built in code from the data contracts plus each table's own rules. `validate`
returns the problems found, with line numbers; the flow decides what to do with them.
Import this package only in the pipeline process: great_expectations is slow to import.
"""
