"""Types shared across the service (imports nothing from it): enums and the review as data."""
