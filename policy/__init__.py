"""The druva-scim policy pack: the rules in `policy.rules`, as pulumi-policy in `policy.pack`."""
