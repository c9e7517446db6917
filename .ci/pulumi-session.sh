# Sourced by the Azure Pipelines steps (. .ci/pulumi-session.sh): log the Pulumi CLI in to
# the backend that one variable chooses. Not executable on purpose: it must change the
# calling shell's environment.
#
#   PULUMI_BACKEND_URL empty        -> Pulumi Cloud, authenticated by PULUMI_ACCESS_TOKEN
#   file://, s3://, azblob://, ...  -> that self-managed backend, secrets by PULUMI_CONFIG_PASSPHRASE

# Azure Pipelines passes a secret variable that is not defined as its own literal text,
# "$(NAME)"; a literal like that is no credential, so drop it.
for druva_scim_name in PULUMI_ACCESS_TOKEN PULUMI_CONFIG_PASSPHRASE OKTA_API_TOKEN OKTA_API_PRIVATE_KEY; do
  case "${!druva_scim_name:-}" in
    '$('*) unset "$druva_scim_name" ;;
  esac
done
unset druva_scim_name

if [ -n "${PULUMI_BACKEND_URL:-}" ]; then
  pulumi login "$PULUMI_BACKEND_URL"
else
  pulumi login
fi
