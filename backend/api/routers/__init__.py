"""Thin routers: parse the request, authorize, call one function, return a schema."""
