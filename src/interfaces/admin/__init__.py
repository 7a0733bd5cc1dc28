"""The admin console: server-rendered HTML at /admin, an interface beside the JSON API over the same bus."""
