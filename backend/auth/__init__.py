"""Sign-in and access control: password hashing, session and API tokens, CSRF, login rate limit, roles and tenants."""
