"""Building blocks shared by the pages: filters, KPI cards, page header, formatting."""
