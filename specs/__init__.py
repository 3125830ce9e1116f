"""Bundled example specs, addressable as `stockflow:NAME`."""
