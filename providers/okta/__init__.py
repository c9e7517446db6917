"""Any process: the Okta package: sign-in, its API's client, the provisioning connection,
the check, the manual hand-off, and the program's wiring of each Okta app."""
