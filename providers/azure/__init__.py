"""Any process: the Azure AD (Entra ID) package: sign-in, the Graph client, the provisioning
check, and the program's wiring of each Azure app."""
