"""The demo API's own error codes, drawn from the "Errors" pages in shared/seeds."""

from errorregistry.catalog import Declaration

DOCS = "https://docs.example.com/errors#"

DEMO_CODES = [
    Declaration(
        "missing_api_key", 401, "auth", "Missing API key.",
        "Set Authorization: Bearer <key> on the request.",
        docs_url=DOCS + "missing_api_key",
        translations={"fr": ("Clé d'API manquante.", "Ajoutez Authorization: Bearer <clé> à la requête.")},
    ),
    Declaration(
        "invalid_api_key", 401, "auth", "The API key is malformed or unknown.",
        "Re-copy the key from workspace settings; watch for whitespace.",
        docs_url=DOCS + "invalid_api_key",
        translations={"fr": ("La clé d'API est invalide ou inconnue.", "Recopiez la clé depuis les paramètres de l'espace de travail.")},
    ),
    Declaration(
        "api_key_expired", 401, "auth", "The API key has passed its expiry date.",
        "Renew the key from workspace settings.",
        translations={"fr": ("La clé d'API a expiré.", "Renouvelez la clé depuis les paramètres de l'espace de travail.")},
    ),
    Declaration(
        "api_key_revoked", 401, "auth", "The API key was revoked.", "Generate a new key.",
        translations={"fr": ("La clé d'API a été révoquée.", "Générez une nouvelle clé.")},
    ),
    Declaration(
        "insufficient_scope", 403, "permission", "This endpoint requires a {required} token.",
        "Create a key with the appropriate scope.",
        translations={"fr": ("Ce point d'accès exige un jeton {required}.", "Créez une clé avec la portée appropriée.")},
    ),
    Declaration(
        "ip_not_allowed", 403, "permission", "The request IP is not on the key's allowlist.",
        "Update the IP allowlist or use an allowed IP.",
    ),
    Declaration(
        "not_workspace_member", 403, "permission", "You are not a member of this workspace.",
        "Ask a workspace admin to invite you.",
        translations={"fr": ("Vous n'êtes pas membre de cet espace de travail.", "Demandez une invitation à un administrateur.")},
    ),
    Declaration(
        "workspace_public_api_disabled", 403, "permission", "Public API access is disabled for this workspace.",
        "Enable public API access in the workspace settings.",
    ),
    Declaration(
        "workspace_public_api_suspended", 403, "permission", "Public API access is suspended for this workspace.",
        "Contact support: billing or compliance hold.",
    ),
    Declaration(
        "mfa_required", 403, "permission", "MFA enrollment is required by this workspace.",
        "Enroll a second factor, then retry.",
    ),
    Declaration(
        "insufficient_credits", 402, "billing", "Not enough credits: {balance} left, {required} needed.",
        "Top up or wait for the monthly refill. Don't retry blindly.",
        docs_url=DOCS + "insufficient_credits",
        translations={"fr": ("Crédits insuffisants : {balance} restants, {required} nécessaires.",
                             "Rechargez ou attendez le renouvellement mensuel. Ne réessayez pas à l'aveugle.")},
    ),
    Declaration(
        "payment_required", 402, "billing", "Payment is required to proceed.", "Update the billing details.",
    ),
    Declaration(
        "design_not_found", 404, "not_found", "No such design in the workspace.", "Verify the design ID.",
    ),
    Declaration(
        "resource_already_exists", 409, "conflict", "A resource with this identifier already exists.",
        "Use a different identifier or retrieve the existing resource.",
    ),
    Declaration(
        "database_error", 500, "server", "The storage layer failed.", "Retry with backoff.", retryable=True,
    ),
]
