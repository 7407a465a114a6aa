"""The pool domain's hosted pages (managed login): server-rendered forms that work without JavaScript.

``pages`` renders a template inside ``base.html`` with the security headers every page needs; ``csrf`` keeps
the forms' double-submit token; ``i18n`` holds the texts by language; ``views`` are the Starlette handlers of
``/login`` and ``/error``; ``accounts`` those of sign-up, confirmation and password recovery (their rules are the
API operations', reached through ``operations.hosted``).
"""
