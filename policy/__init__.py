"""Policy pack: the druva-scim CrossGuard pack. `pack` adapts the pure rules of
`providers.core.policy_rules` to pulumi-policy; `__main__` is what the engine runs."""
