"""The console: server-rendered pages under ``/_userpools/console`` showing what a server holds (pools, clients,
users and their attributes, groups, devices and auth events; in development mode the outbox's emails and SMS
and the trigger invocations) and the admin actions on users (``actions``). Every read and change goes through
the API's operations (``views``); open in development mode, else behind the admin credentials (HTTP Basic)."""
