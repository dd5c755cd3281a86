"""Dash dashboards over the published warehouse: ``create_app(settings)`` in dashboards.app."""
