"""The demo's AUDIT_CONTEXT hook: what support needs besides the user."""


def audit_context(request) -> dict:
    workspace = request.headers.get("X-Workspace", "")[:64]
    return {"workspace": workspace} if workspace else {}
