"""The web pages: server-rendered Jinja2 with htmx, over the same flows, queries and access rules as the API."""
