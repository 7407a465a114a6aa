"""The developer console: server-rendered pages under ``/_userpools/console`` showing what a development server
holds (pools, clients, users and their attributes, groups, devices and auth events, the outbox's emails and
SMS). It reads through the same operation handlers as the API (``views``), and is served only in development
mode (no admin credentials); otherwise every path under it is a 404."""
