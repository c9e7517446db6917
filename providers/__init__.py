"""Any process: druva-scim's code, by vendor and by process. This docstring is the map.

Words: a "provider" is always a Pulumi provider (the azuread and okta providers,
and the dynamic providers here); Druva, Microsoft (Azure AD / Entra ID) and Okta
are the "vendors"; an "app" is one entry of `azureApps`, `oktaApps` or `manualApps`,
an enterprise app, Okta app or other identity provider's app that receives the token.
Each file's first line says which process runs it:

- the program, under the language host (`__main__.py` and what it imports);
- the provider host (`python -m pulumi.dynamic`), which runs the dynamic
  providers, unpickled from state by the class paths of
  core/resource_types.py PROVIDER_PATHS, and what they import;
- a command line (`python -m providers.status`, `python -m providers.rotate`,
  `python -m providers.health`, `python -m providers.preflight`, and for `scripts/up`:
  `providers.install`, `providers.first_run`), and what it imports;
- any process: what imports only the standard library (the pure core).

A file several of them import names each (`Program and provider host:`);
tests/test_layout.py derives the labels from the import graph.

Where things are:

    core/             any process, standard library only (a test enforces it): dates and
                      fingerprints (lifecycle), settings and app validation (settings,
                      apps, with what Microsoft documents of Graph), redaction, errors by
                      cause, type tokens (resource_types), the clock, texts used twice, the
                      gate's verdict (gate), the policy pack's rules (policy_rules), the
                      health check's verdicts and the targets it reads (health), when a
                      run notifies and which webhook a URL is (notify), the version
                      (version)
    program.py        program: configuration, the token, its outputs; calls each vendor's
                      wiring (azure/, okta/ and manual/wiring.py; what they share: wiring.py)
    druva/            the SCIM client and the ScimToken resource (token.py: args, typed
                      state, provider, resource)
    azure/            sign-in, the Graph client, the AzureProvisioningCheck, the wiring
    okta/             sign-in, the API with the provisioning connection (api.py), the
                      OktaConnectionCheck, the OktaManualHandoff, the wiring
    manual/           the hand-off every manual app shares (handoff.py) and the
                      ManualHandoff of `manualApps` (OneLogin, JumpCloud, other), the wiring
    dynamic.py        program and provider host: the stateless provider base, its clock, and
                      `redacted_operation`, written on every provider method
    checks.py         what both checks share
    http.py           the HTTP policy, one call, and `answer_error`, the one way from an
                      answer to a typed error (advice where the request is made);
                      deadline.py: one deadline per operation
    gate.py           command line: the pipeline gate (`python -m providers.status`,
    status.py         which status.py keeps: pipelines type it)
    rotate.py         command line: the rotation helper
    preflight.py      command line: the pre-flight, which checks everything a rotation needs
                      and changes nothing
    notify.py         command line: the gate's and the health check's notifications, posted
    health.py         command line: provisioning health; reads each vendor's side with
                      azure/health.py and okta/health.py, read-only
    install.py        command line: installs the pinned Pulumi CLI for scripts/up (from
                      get.pulumi.com's release files, SHA-256 checked)
    first_run.py      command line: the guided first run of scripts/up (the helper's steps)
    cli.py            command line: what the command lines share
    scim_token.py     frozen: the addresses existing stacks' state names for the five
    handoff.py        provider classes (core/resource_types.py PROVIDER_PATHS); they
    verification.py   re-export the classes and stay importable forever

The policy pack (policy/), the gate and the rotation helper import nothing here
but `core` (and `cli`, `rotate`): no Pulumi, HTTP or vendor code comes with them,
except that install.py loads the SDK's installer. The health check asks the
vendors, so it brings their clients (never Pulumi).
"""
