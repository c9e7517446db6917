"""Program: each `manualApps` entry's tracked hand-off, its warning while pending, and its entries
of `targets` and `pendingManualSteps`.

These identity providers (OneLogin, JumpCloud, other) have no API that sets the
token, so nothing is written to them: the stack records which token an admin
still has to paste, exactly as for an Okta app in manual mode.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pulumi

from providers.core.apps import MANUAL_TARGETS, ManualApp
from providers.core.texts import handoff_steps, provider_label
from providers.druva.token import ScimToken
from providers.manual.handoff import ManualHandoff, ManualHandoffArgs
from providers.wiring import after


def manual_apps(
    manual_apps: Collection[ManualApp], token: ScimToken, fingerprint: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every manual app's entry of `targets`, and the pending ones' `pendingManualSteps`."""
    entries: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for app in manual_apps:
        entry, steps = _manual_app(app, token, fingerprint)
        entries.append(entry)
        pending.extend(steps)
    return entries, pending


def _manual_app(
    app: ManualApp, token: ScimToken, fingerprint: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    handoff = ManualHandoff(
        # Named after the kind and the app id, never the entry's name: renaming the entry
        # updates the record's appName and keeps the clock of a pending hand-off running.
        f"handoff-{app.kind}-{app.app_id}",
        ManualHandoffArgs(
            kind=app.kind,
            app_name=app.name,
            app_id=app.app_id,
            console_url=app.console_url,
            expected_fingerprint=token.fingerprint,
            confirmed_fingerprint=app.confirmed_fingerprint,
        ),
        opts=after(token),
    )
    is_pending = app.confirmed_fingerprint != fingerprint
    described = {
        "name": app.name,
        "kind": MANUAL_TARGETS[app.kind],
        "appId": app.app_id,
        "consoleUrl": app.console_url,
        "tokenFingerprint": fingerprint,
    }
    entry = {
        **described,
        "confirmedFingerprint": app.confirmed_fingerprint,
        "state": "pending" if is_pending else "confirmed",
    }
    if not is_pending:
        return entry, []
    steps = handoff_steps(app.kind, app.name, app.app_id, app.console_url, fingerprint, app.index)
    pulumi.log.warn(
        f"{provider_label(app.kind)} {app.name} ({app.app_id}) is set by hand and does not have "
        f"the current token (fingerprint {fingerprint}) yet: " + "; ".join(steps)
    )
    return entry, [{**described, "pendingSince": handoff.pendingSince, "steps": steps}]
