"""Prefect flows, their thin tasks, and the plain functions they call."""
