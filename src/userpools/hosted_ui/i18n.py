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
        "login_throttled": "Too many failed sign-in attempts. Please wait a minute and try again.",
        "sign_up_title": "Sign up",
        "sign_up_lead": "Create an account",
        "sign_up": "Sign up",
        "email": "Email",
        "phone_number": "Phone number",
        "email_or_phone": "Email or phone number",
        "have_account": "Already have an account?",
        "no_account": "Need an account?",
        "forgot_link": "Forgot your password?",
        "password_rules": "Password requirements",
        "rule_length": "At least {n} characters",
        "rule_lower": "A lowercase letter",
        "rule_upper": "An uppercase letter",
        "rule_number": "A number",
        "rule_symbol": "A special character",
        "terms_lead": "By signing up, you agree to the",
        "terms_of_use": "Terms of use",
        "privacy_policy": "Privacy policy",
        "and": "and",
        "confirm_title": "Confirm your account",
        "confirm_lead": "Enter the code we sent to confirm your account.",
        "code_sent": "We sent a code by {medium} to {destination}.",
        "EMAIL": "email",
        "SMS": "text message",
        "code": "Verification code",
        "confirm": "Confirm account",
        "resend": "Send a new code",
        "resent": "A new code is on its way.",
        "confirmed": "Your account is confirmed. Please sign in.",
        "password_changed": "Your password was changed. Please sign in.",
        "forgot_title": "Forgot your password?",
        "forgot_lead": "Enter your username and we will send you a code to reset your password.",
        "reset_password": "Reset my password",
        "confirm_forgot_title": "Reset your password",
        "confirm_forgot_lead": "Enter the code and choose a new password.",
        "change_password": "Change password",
        "back_to_sign_in": "Back to sign in",
        "show_password": "Show password",
        "mfa_code_title": "Enter your code",
        "mfa_totp_lead": "Enter the 6-digit code from your authenticator app.",
        "mfa_select_title": "Choose how to verify it's you",
        "mfa_select_lead": "How do you want to get your sign-in code?",
        "SMS_MFA": "Text message (SMS)",
        "EMAIL_OTP": "Email",
        "SOFTWARE_TOKEN_MFA": "Authenticator app",
        "totp_setup_title": "Set up an authenticator app",
        "totp_setup_lead": "Your account needs a second sign-in step. Scan this QR code with an authenticator app, then enter the code it shows.",
        "totp_qr": "QR code to scan with your authenticator app",
        "totp_key": "Can't scan it? Enter this key in the app:",
        "totp_code": "Code from the app",
        "totp_verify": "Verify and sign in",
        "session_expired": "Your sign-in session has ended. Please sign in again.",
        "mfa_setup_unavailable": "Your account needs a second sign-in step that cannot be set up on this page. Please contact your administrator.",
        "passkey_sign_in": "Sign in with a passkey",
        "passkey_lead": "Use the passkey saved on this device or on your security key.",
        "passkey_use": "Use my passkey",
        "passkey_failed": "The passkey could not be used. Try again, or sign in with your password.",
        "passkey_none": "No passkey is registered for this account. Please sign in with your password.",
        "passkey_needs_js": "Signing in with a passkey needs JavaScript in your browser.",
        "use_password": "Sign in with a password instead",
        "passkey_offer_title": "Sign in faster with a passkey",
        "passkey_offer_lead": "Next time, sign in with your fingerprint, face or screen lock instead of your password.",
        "passkey_add": "Add a passkey",
        "passkey_add_lead": "Create a passkey on this device or on your security key.",
        "passkey_create": "Create my passkey",
        "passkey_not_now": "Not now",
        "passkey_add_failed": "The passkey could not be added. Try again, or continue without it.",
        "email_setup_title": "Set up sign-in codes by email",
        "email_setup_lead": "Your account needs a second sign-in step. Enter the email address we should send your sign-in codes to.",
        "send_code": "Send code",
        "or": "or",
        "Invalid code or auth state for the user.": "Invalid code or auth state for the user.",
        "Your software token has already been used once.": "Your software token has already been used once.",
        "Code mismatch and fail enable Software Token MFA": "Code mismatch and fail enable Software Token MFA",
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
        "login_throttled": "Trop de tentatives de connexion échouées. Veuillez patienter une minute et réessayer.",
        "sign_up_title": "Inscription",
        "sign_up_lead": "Créer un compte",
        "sign_up": "S'inscrire",
        "email": "Adresse e-mail",
        "phone_number": "Numéro de téléphone",
        "email_or_phone": "Adresse e-mail ou numéro de téléphone",
        "have_account": "Vous avez déjà un compte ?",
        "no_account": "Pas encore de compte ?",
        "forgot_link": "Mot de passe oublié ?",
        "password_rules": "Exigences du mot de passe",
        "rule_length": "Au moins {n} caractères",
        "rule_lower": "Une lettre minuscule",
        "rule_upper": "Une lettre majuscule",
        "rule_number": "Un chiffre",
        "rule_symbol": "Un caractère spécial",
        "terms_lead": "En vous inscrivant, vous acceptez les",
        "terms_of_use": "Conditions d'utilisation",
        "privacy_policy": "Politique de confidentialité",
        "and": "et la",
        "confirm_title": "Confirmez votre compte",
        "confirm_lead": "Saisissez le code que nous vous avons envoyé pour confirmer votre compte.",
        "code_sent": "Nous avons envoyé un code par {medium} à {destination}.",
        "EMAIL": "e-mail",
        "SMS": "SMS",
        "code": "Code de vérification",
        "confirm": "Confirmer le compte",
        "resend": "Envoyer un nouveau code",
        "resent": "Un nouveau code vous a été envoyé.",
        "confirmed": "Votre compte est confirmé. Veuillez vous connecter.",
        "password_changed": "Votre mot de passe a été changé. Veuillez vous connecter.",
        "forgot_title": "Mot de passe oublié ?",
        "forgot_lead": "Saisissez votre nom d'utilisateur : nous vous enverrons un code pour réinitialiser votre mot de passe.",
        "reset_password": "Réinitialiser mon mot de passe",
        "confirm_forgot_title": "Réinitialisez votre mot de passe",
        "confirm_forgot_lead": "Saisissez le code et choisissez un nouveau mot de passe.",
        "change_password": "Changer le mot de passe",
        "back_to_sign_in": "Retour à la connexion",
        "show_password": "Afficher le mot de passe",
        "User already exists": "Ce nom d'utilisateur existe déjà.",
        "Invalid verification code provided, please try again.": "Code de vérification non valide, veuillez réessayer.",
        "Invalid code provided, please request a code again.": "Code non valide, veuillez demander un nouveau code.",
        "Attempt limit exceeded, please try after some time.": "Nombre de tentatives dépassé, veuillez réessayer plus tard.",
        "Username/client id combination not found.": "Utilisateur introuvable.",
        "mfa_code_title": "Saisissez votre code",
        "mfa_totp_lead": "Saisissez le code à 6 chiffres affiché par votre application d'authentification.",
        "mfa_select_title": "Choisissez comment confirmer votre identité",
        "mfa_select_lead": "Comment souhaitez-vous recevoir votre code de connexion ?",
        "SMS_MFA": "SMS",
        "EMAIL_OTP": "E-mail",
        "SOFTWARE_TOKEN_MFA": "Application d'authentification",
        "totp_setup_title": "Configurez une application d'authentification",
        "totp_setup_lead": "Votre compte demande une deuxième étape de connexion. Scannez ce code QR avec une application d'authentification, puis saisissez le code qu'elle affiche.",
        "totp_qr": "Code QR à scanner avec votre application d'authentification",
        "totp_key": "Impossible de scanner ? Saisissez cette clé dans l'application :",
        "totp_code": "Code de l'application",
        "totp_verify": "Vérifier et se connecter",
        "session_expired": "Votre session de connexion a pris fin. Veuillez vous reconnecter.",
        "mfa_setup_unavailable": "Votre compte demande une deuxième étape de connexion qui ne peut pas être configurée sur cette page. Veuillez contacter votre administrateur.",
        "passkey_sign_in": "Se connecter avec une clé d'accès",
        "passkey_lead": "Utilisez la clé d'accès enregistrée sur cet appareil ou sur votre clé de sécurité.",
        "passkey_use": "Utiliser ma clé d'accès",
        "passkey_failed": "La clé d'accès n'a pas pu être utilisée. Réessayez, ou connectez-vous avec votre mot de passe.",
        "passkey_none": "Aucune clé d'accès n'est enregistrée pour ce compte. Veuillez vous connecter avec votre mot de passe.",
        "passkey_needs_js": "La connexion avec une clé d'accès nécessite JavaScript dans votre navigateur.",
        "use_password": "Se connecter plutôt avec un mot de passe",
        "passkey_offer_title": "Connectez-vous plus vite avec une clé d'accès",
        "passkey_offer_lead": "La prochaine fois, connectez-vous avec votre empreinte, votre visage ou le verrouillage de l'écran plutôt qu'avec votre mot de passe.",
        "passkey_add": "Ajouter une clé d'accès",
        "passkey_add_lead": "Créez une clé d'accès sur cet appareil ou sur votre clé de sécurité.",
        "passkey_create": "Créer ma clé d'accès",
        "passkey_not_now": "Plus tard",
        "passkey_add_failed": "La clé d'accès n'a pas pu être ajoutée. Réessayez, ou continuez sans elle.",
        "email_setup_title": "Recevez vos codes de connexion par e-mail",
        "email_setup_lead": "Votre compte demande une deuxième étape de connexion. Saisissez l'adresse e-mail à laquelle envoyer vos codes de connexion.",
        "send_code": "Envoyer le code",
        "or": "ou",
        "Invalid code or auth state for the user.": "Code non valide, veuillez réessayer.",
        "Your software token has already been used once.": "Ce code a déjà été utilisé : attendez le suivant.",
        "Code mismatch and fail enable Software Token MFA": "Code incorrect : l'application d'authentification n'est pas activée.",
    },
}


def language(requested: str | None, accept_language: str | None = None) -> str:
    """The language to show: the requested one (``lang``) when there are texts for it (``fr``, ``fr-FR``);
    without ``lang``, the first of the browser's Accept-Language (by quality) that has texts; else English."""
    if requested:
        code = requested.replace("_", "-").split("-", 1)[0].lower()
        return code if code in TEXTS else DEFAULT
    for code in _accepted(accept_language or ""):
        if code in TEXTS:
            return code
    return DEFAULT


def _accepted(header: str) -> list[str]:
    """Accept-Language's primary language codes, best first (RFC 9110 §12.5.4); q=0 ones left out."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip().split("-", 1)[0].lower()
        if code and code != "*" and quality > 0:
            ranked.append((-quality, index, code))
    return [code for _q, _i, code in sorted(ranked)]


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
