"""Read-only renderings of stored reviews: Markdown, DOCX, XLSX, JSON."""
