"""The JSON API: create_app(), request dependencies, response schemas and thin routers."""
