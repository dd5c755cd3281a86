"""One module per source: parsers that turn landed files into Polars frames."""
