"""The pool domain's hosted pages (managed login): server-rendered forms that work without JavaScript.

``pages`` renders a template inside ``base.html`` with the security headers every page needs; ``csrf`` keeps
the forms' double-submit token; ``i18n`` holds the texts by language; ``views`` are the Starlette handlers of
``/login`` and ``/error``. New pages (sign-up, password recovery) add a template and a view on the same helpers.
"""
