"""Web views, one module per area; each parses, authorizes, calls one function and renders."""
