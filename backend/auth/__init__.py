"""Sign-in and access control: password hashing, session and API tokens, CSRF, login throttling, roles and tenants."""
