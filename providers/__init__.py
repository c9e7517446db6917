"""druva-scim: the Druva inSync SCIM token as a Pulumi resource, and its consumers."""
