"""All SQL of the service, one module per aggregate; functions take the session and keyword-only arguments.

Queries add, flush and read; committing is the caller's decision (a flow commits its unit of work).
"""
