"""Upload and ingest of document versions."""
