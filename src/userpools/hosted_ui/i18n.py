"""The hosted pages' texts, by language (``lang`` query parameter, Cognito's managed-login language codes).

English is complete; another language falls back to English for any text it lacks. The sign-in errors are
Cognito's own messages (the API's), translated by their English text.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT = "en"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "sign_in_title": "Sign in",
        "sign_in_lead": "Sign in with your username and password",
        "username": "Username",
        "password": "Password",
        "sign_in": "Sign in",
        "new_password_title": "Change password",
        "new_password_lead": "Please enter a new password.",
        "new_password": "New password",
        "confirm_new_password": "Confirm new password",
        "send": "Send",
        "passwords_differ": "Passwords do not match.",
        "required": "This field is required.",
        "error_title": "An error was encountered with the requested page.",
        "error_lead": "The request could not be completed.",
        "csrf": "Your session on this page expired. Please try again.",
        "Incorrect username or password.": "Incorrect username or password.",
        "User does not exist.": "User does not exist.",
        "User is not confirmed.": "User is not confirmed.",
        "Password attempts exceeded": "Password attempts exceeded",
        "User is disabled.": "User is disabled.",
    },
    "fr": {
        "sign_in_title": "Connexion",
        "sign_in_lead": "Connectez-vous avec votre nom d'utilisateur et votre mot de passe",
        "username": "Nom d'utilisateur",
        "password": "Mot de passe",
        "sign_in": "Se connecter",
        "new_password_title": "Changer le mot de passe",
        "new_password_lead": "Veuillez saisir un nouveau mot de passe.",
        "new_password": "Nouveau mot de passe",
        "confirm_new_password": "Confirmer le nouveau mot de passe",
        "send": "Envoyer",
        "passwords_differ": "Les mots de passe ne correspondent pas.",
        "required": "Ce champ est obligatoire.",
        "error_title": "Une erreur s'est produite avec la page demandée.",
        "error_lead": "La demande n'a pas pu aboutir.",
        "csrf": "Votre session sur cette page a expiré. Veuillez réessayer.",
        "Incorrect username or password.": "Nom d'utilisateur ou mot de passe incorrect.",
        "User does not exist.": "L'utilisateur n'existe pas.",
        "User is not confirmed.": "L'utilisateur n'est pas confirmé.",
        "Password attempts exceeded": "Nombre de tentatives de mot de passe dépassé",
        "User is disabled.": "L'utilisateur est désactivé.",
    },
}


def language(requested: str | None) -> str:
    """The language to show: the requested one when there are texts for it (``fr``, ``fr-FR``), else English."""
    if requested:
        code = requested.replace("_", "-").split("-", 1)[0].lower()
        if code in TEXTS:
            return code
    return DEFAULT


class Texts(Mapping[str, str]):
    """The texts of one language, English for what it lacks, the key itself for what neither has."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._texts = TEXTS.get(lang, {})

    def __getitem__(self, key: str) -> str:
        return self._texts.get(key) or TEXTS[DEFAULT].get(key) or key

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(TEXTS[DEFAULT])

    def __len__(self) -> int:
        return len(TEXTS[DEFAULT])
