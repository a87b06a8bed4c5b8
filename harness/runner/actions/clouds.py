"""The OpenID Connect logins of the clouds' storage. Each, like the real action, needs the
job's ``id-token: write`` (the runner then sets ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, as
GitHub does) and fails without it; the token is minted by the job (job.py)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import quote

from ..errors import RunnerError, StepFailed
from .base import Action, Call


def oidc_request(call: Call) -> bool:
    names = ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL")
    return all(call.env.get(name) for name in names)


def export(call: Call, name: str, value: str, secret: bool = False) -> None:
    """core.exportVariable (GITHUB_ENV) and, for a secret, core.setSecret."""
    call.job.env[name] = value
    if secret:
        call.job.masks.append(value)


def configure_aws_credentials(call: Call) -> None:
    """aws-actions/configure-aws-credentials: OIDC (role-to-assume, no keys) really calls
    STS AssumeRoleWithWebIdentity with boto3, at AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL
    when set (moto's server in tests), else AWS; or static keys. Exports the region and
    credentials to later steps and masks them."""
    import boto3
    import botocore
    import botocore.config
    import botocore.exceptions

    inputs = call.inputs
    region, role = inputs["aws-region"], inputs["role-to-assume"]
    key_id, secret = inputs["aws-access-key-id"], inputs["aws-secret-access-key"]
    if not region:
        raise StepFailed("Input required and not supplied: aws-region")
    if not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", region):
        raise StepFailed(f"Region is not valid: {region}")
    session_name = inputs["role-session-name"]
    if not 2 <= len(session_name) <= 64 or not re.fullmatch(r"[\w+=,.@-]*", session_name):
        raise StepFailed(f"Role session name is not valid: '{session_name}'")
    oidc = oidc_request(call)
    if role and not key_id and not oidc:
        call.say(
            "It looks like you might be trying to authenticate with OIDC. Did you mean to set "
            "the `id-token` permission? If you are not trying to authenticate with OIDC and "
            "the action is working successfully, you can ignore this message."
        )
    export(call, "AWS_DEFAULT_REGION", region)
    export(call, "AWS_REGION", region)
    endpoint = (
        inputs["sts-endpoint"]
        or call.env.get("AWS_ENDPOINT_URL_STS")
        or call.env.get("AWS_ENDPOINT_URL")
        or None
    )

    def sts(**options: Any):
        return boto3.client("sts", region_name=region, endpoint_url=endpoint, **options)

    try:
        if role and not key_id and oidc:
            token = call.job.id_token(inputs["audience"])
            unsigned = botocore.config.Config(signature_version=botocore.UNSIGNED)
            answer = sts(config=unsigned).assume_role_with_web_identity(
                RoleArn=role,
                RoleSessionName=session_name,
                WebIdentityToken=token,
                DurationSeconds=int(inputs["role-duration-seconds"]),
            )
            found = answer["Credentials"]
            assumed = answer["AssumedRoleUser"]["AssumedRoleId"]
            call.say(f"Authenticated as assumedRoleId {assumed}")
            credentials = {
                "aws_access_key_id": found["AccessKeyId"],
                "aws_secret_access_key": found["SecretAccessKey"],
                "aws_session_token": found["SessionToken"],
            }
        elif key_id and not role:
            if not secret:
                raise StepFailed(
                    "'aws-secret-access-key' must be provided if 'aws-access-key-id' is provided"
                )
            credentials = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
            if inputs["aws-session-token"]:
                credentials["aws_session_token"] = inputs["aws-session-token"]
            call.say("Proceeding with IAM user credentials")
        elif key_id and role:
            raise RunnerError(
                f"{call.job.where}: configure-aws-credentials: role assumption with access keys "
                "is not emulated"
            )
        else:  # ambient credentials: none on this runner
            raise StepFailed(
                "Credentials could not be loaded, please check your action inputs: Could not "
                "load credentials from any providers"
            )
        identity = sts(**credentials).get_caller_identity()
    except botocore.exceptions.BotoCoreError as error:
        raise StepFailed(str(error)) from None
    except botocore.exceptions.ClientError as error:
        raise StepFailed(str(error)) from None
    export(call, "AWS_ACCESS_KEY_ID", credentials["aws_access_key_id"], secret=True)
    export(call, "AWS_SECRET_ACCESS_KEY", credentials["aws_secret_access_key"], secret=True)
    export(call, "AWS_SESSION_TOKEN", credentials.get("aws_session_token", ""), secret=True)
    call.outputs.update(
        {"aws-account-id": identity["Account"], "authenticated-arn": identity["Arn"]}
    )


def google_auth(call: Call) -> None:
    """google-github-actions/auth with workload identity federation: checks the inputs and
    the job's id-token permission, writes the credentials file the real action writes
    (gha-creds-*.json in the workspace, an external_account configuration that reads the
    job's OIDC token) and exports the same variables; removed by the post step. It does
    not exchange the token with Google (no network): a wrong provider fails only there."""
    inputs, job = call.inputs, call.job
    provider, account = inputs["workload_identity_provider"], inputs["service_account"]

    def fail(message: str) -> StepFailed:
        return StepFailed(f"google-github-actions/auth failed with: {message}")

    if not provider:
        raise fail(
            'The GitHub Action workflow must specify exactly one of "workload_identity_provider" '
            'or "credentials_json"! If you are specifying input values via GitHub secrets, '
            "ensure the secret is being injected into the environment. By default, secrets "
            "are not passed to workflows triggered from forks, including Dependabot."
        )
    if not re.fullmatch(
        r"projects/\d+/locations/global/workloadIdentityPools/[^/]+/providers/[^/]+", provider
    ):
        raise fail(f'invalid workload_identity_provider "{provider}"')
    if not oidc_request(call):
        raise fail(
            "GitHub Actions did not inject $ACTIONS_ID_TOKEN_REQUEST_TOKEN or "
            "$ACTIONS_ID_TOKEN_REQUEST_URL into this job. This most likely means the GitHub "
            "Actions workflow permissions are incorrect, or this job is being run from a fork."
        )
    audience = inputs["audience"] or f"https://iam.googleapis.com/{provider}"
    call.job.id_token(audience)  # what getIDToken() would return
    project = inputs["project_id"] or (
        account.split("@", 1)[1].split(".", 1)[0] if "@" in account else ""
    )
    if call.boolean("create_credentials_file"):
        path = job.workspace / f"gha-creds-{uuid.uuid4().hex[:16]}.json"
        source = {
            "url": f"{call.env['ACTIONS_ID_TOKEN_REQUEST_URL']}&audience={quote(audience)}",
            "headers": {"Authorization": f"Bearer {call.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"},
            "format": {"type": "json", "subject_token_field_name": "value"},
        }
        config = {
            "type": "external_account",
            "audience": f"//iam.googleapis.com/{provider}",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": "https://sts.googleapis.com/v1/token",
            "credential_source": source,
        }
        if account:
            config["service_account_impersonation_url"] = (
                "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
                f"{account}:generateAccessToken"
            )
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        call.say(f'Created credentials file at "{path}"')
        call.outputs["credentials_file_path"] = str(path)
        if call.boolean("export_environment_variables"):
            for name in (
                "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE",
                "GOOGLE_APPLICATION_CREDENTIALS",
                "GOOGLE_GHA_CREDS_PATH",
            ):
                export(call, name, str(path))
        if call.boolean("cleanup_credentials"):

            def cleanup(post: Call) -> None:
                path.unlink(missing_ok=True)
                post.say(f"Removed exported credentials at {path}")

            job.post.append((f"Post {call.name}", True, cleanup))
    if project:
        call.outputs["project_id"] = project
        if call.boolean("export_environment_variables"):
            for name in (
                "CLOUDSDK_CORE_PROJECT",
                "CLOUDSDK_PROJECT",
                "GCLOUD_PROJECT",
                "GCP_PROJECT",
                "GOOGLE_CLOUD_PROJECT",
            ):
                export(call, name, project)
    call.say("note (local runner): no token exchange with Google's STS (no network)")


def azure_login(call: Call) -> None:
    """azure/login with OpenID Connect (client-id, tenant-id, subscription-id): checks the
    inputs and the job's id-token permission like the real action, then only says what
    it would do. The real one logs the Azure CLI in (files under ~/.azure, nothing in
    GITHUB_ENV); that state is not emulated, so nothing is written."""
    inputs = call.inputs
    if inputs["auth-type"].upper() != "SERVICE_PRINCIPAL":
        raise RunnerError(f"{call.job.where}: azure/login auth-type {inputs['auth-type']!r}")
    allow_no_subscription = call.boolean("allow-no-subscriptions")
    missing = [
        key
        for key in ("client-id", "tenant-id", "subscription-id")
        if not inputs[key] and not (key == "subscription-id" and allow_no_subscription)
    ]
    if missing:
        raise StepFailed(
            "Login failed with Error: Using auth-type: SERVICE_PRINCIPAL. Not all values are "
            f"present. Ensure 'client-id' and 'tenant-id' are supplied. (missing: {missing})"
        )
    if not oidc_request(call):
        raise StepFailed(
            "Failed to fetch federated token from GitHub. Please make sure to give write "
            "permissions to id-token in the workflow."
        )
    call.job.id_token(inputs["audience"])
    call.say(
        "Federated token details: issuer https://token.actions.githubusercontent.com, "
        f"subject claim repo:{call.job.run.gh.repository}:..."
    )
    call.say("note (local runner): `az login --federated-token` is not run; ~/.azure untouched")


AWS = Action(
    inputs={
        "aws-region": "", "role-to-assume": "", "aws-access-key-id": "",
        "aws-secret-access-key": "", "aws-session-token": "", "audience": "sts.amazonaws.com",
        "role-session-name": "GitHubActions", "role-duration-seconds": "3600",
        "sts-endpoint": "",
    },
    not_emulated=frozenset({
        "aws-profile", "overwrite-aws-profile", "web-identity-token-file", "role-chaining",
        "http-proxy", "no-proxy", "mask-aws-account-id", "role-external-id",
        "role-skip-session-tagging", "transitive-tag-keys", "inline-session-policy",
        "managed-session-policies", "output-credentials", "output-env-credentials",
        "unset-current-credentials", "disable-retry", "retry-max-attempts",
        "special-characters-workaround", "use-existing-credentials", "allowed-account-ids",
        "force-skip-oidc", "action-timeout-s", "custom-tags",
    }),
    run=configure_aws_credentials,
)  # fmt: skip


GOOGLE = Action(
    inputs={
        "workload_identity_provider": "", "service_account": "", "project_id": "",
        "audience": "", "create_credentials_file": "true",
        "export_environment_variables": "true", "cleanup_credentials": "true",
    },
    not_emulated=frozenset({
        "credentials_json", "token_format", "delegates", "universe", "request_reason",
        "access_token_lifetime", "access_token_scopes", "access_token_subject",
        "id_token_audience", "id_token_include_email",
    }),
    run=google_auth,
)  # fmt: skip


AZURE = Action(
    inputs={
        "client-id": "", "tenant-id": "", "subscription-id": "",
        "allow-no-subscriptions": "false", "audience": "api://AzureADTokenExchange",
        "auth-type": "SERVICE_PRINCIPAL", "environment": "azurecloud",
        "enable-AzPSSession": "false",
    },
    not_emulated=frozenset({"creds"}),
    run=azure_login,
)  # fmt: skip
