"""Program: the Druva SCIM token, checked, wired into every Azure and Okta app, watched.

A table of contents; each step lives in providers/program.py.
"""

from providers import program

config = program.load_config()
token = program.scim_token(config)
program.warn_when_rotation_is_due(token)
program.export_token(token)
apps = program.wire_apps(config, token)
program.export_apps(apps)
program.export_version()
