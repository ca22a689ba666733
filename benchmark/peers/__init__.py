"""Peer de-identification tools: catalog, installer, adapters (run in their own venvs) and the CLI."""
