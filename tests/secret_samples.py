"""Fake credentials, at least one per format learnd redacts, and text that is no secret.

Each sample is valid for its format (the prefix, alphabet and length a scanner checks)
and plainly fake (FAKE, fake, deadbeef...). Every one is put together from pieces at
run time, so that no secret scanner (GitHub push protection, gitleaks) mistakes this
file for a leak. The unit tests (tests/test_redact.py) and the end-to-end tests that
plant secrets in docs, PR text, review comments and transcripts share this table.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass


def fill(unit: str, n: int) -> str:
    """``unit`` repeated to exactly ``n`` characters."""
    return (unit * (n // len(unit) + 1))[:n]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


ALNUM = "FAKEfake0123456789"
HEX = "deadbeef0123456789"


@dataclass(frozen=True)
class Sample:
    kind: str  # it must become [REDACTED:<kind>]
    secret: str  # what must not survive
    text: str = ""  # how it is written, when more than the secret (a name, a flag...)

    @property
    def written(self) -> str:
        return self.text or self.secret

    @property
    def redacted(self) -> str:
        """``written`` as redaction leaves it."""
        return self.written.replace(self.secret, f"[REDACTED:{self.kind}]")

    @property
    def one_line(self) -> bool:
        return "\n" not in self.written


def _pem(label: str, body: str) -> str:
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


_RSA_BODY = "MIIEowIBAAKCAQEA" + fill("FAKEfake0123+/", 64) + "\n" + fill("FakeKey0/+", 40) + "=="
_PKCS8 = _pem("PRIVATE KEY", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + fill(ALNUM, 32))
_TELEGRAM = "123456789:AA" + fill(ALNUM + "_-", 33)

SAMPLES: tuple[Sample, ...] = (
    # -- key blocks, PEM of every kind, PuTTY, age
    Sample("private-key", _pem("RSA PRIVATE KEY", _RSA_BODY)),
    Sample(
        "private-key", _pem("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAA" + fill(ALNUM, 40))
    ),
    Sample("private-key", _pem("EC PRIVATE KEY", "MHcCAQEEI" + fill(ALNUM, 50))),
    Sample("private-key", _pem("DSA PRIVATE KEY", "MIIBuwIBAAKBgQ" + fill(ALNUM, 50))),
    Sample(
        "private-key", _pem("ENCRYPTED PRIVATE KEY", "MIIFHDBOBgkqhkiG9w0BBQ0" + fill(ALNUM, 40))
    ),
    Sample("private-key", _PKCS8),
    Sample(
        "private-key",
        _pem("PGP PRIVATE KEY BLOCK", "\nlQOYBGFakeKeyBCAC" + fill(ALNUM, 60) + "\n=FaKe"),
    ),
    # A Google Cloud service-account key file: the key block JSON-escaped on one line.
    Sample(
        "private-key",
        _PKCS8.replace("\n", "\\n"),
        '"type": "service_account", "private_key": "' + _PKCS8.replace("\n", "\\n") + '\\n"',
    ),
    Sample(
        "private-key",
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: fake-key\n"
        "Public-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAI" + fill(ALNUM, 40) + "\nFAKE\n"
        "Private-Lines: 1\nAAAAI" + fill(ALNUM, 40) + "\nPrivate-MAC: " + fill(HEX, 64),
    ),
    Sample("age-secret-key", "AGE-SECRET-KEY-1" + fill("FAKE", 58)),
    # -- code hosts and package registries
    Sample("github-token", "ghp_" + fill(ALNUM, 36)),
    Sample("github-token", "gho_" + fill(ALNUM, 36)),
    Sample("github-token", "ghu_" + fill(ALNUM, 36)),
    Sample("github-token", "ghs_" + fill(ALNUM, 36)),
    Sample("github-token", "ghr_" + fill(ALNUM, 36)),
    Sample("github-token", "github_pat_" + "11FAKEFAKE0" + "_" + fill(ALNUM, 59)),
    Sample("gitlab-token", "glpat-" + fill(ALNUM, 20)),
    Sample("gitlab-token", "glpat-" + fill(ALNUM, 27) + ".01.fake0123"),
    Sample("gitlab-token", "gldt-" + fill(ALNUM, 20)),
    Sample("gitlab-token", "glrt-" + fill(ALNUM, 20)),
    Sample("gitlab-token", "glptt-" + fill(HEX, 40)),
    Sample("gitlab-token", "glcbt-" + "64_" + fill(ALNUM, 20)),
    Sample("gitlab-token", "gloas-" + fill(ALNUM, 64)),
    Sample("gitlab-token", "GR1348941" + fill(ALNUM, 20)),
    Sample("atlassian-token", "ATATT3" + fill("xFfGF0" + ALNUM, 180) + "=DEADBEEF"),
    Sample("atlassian-token", "ATBB" + fill(ALNUM, 32)),
    Sample("npm-token", "npm_" + fill(ALNUM, 36)),
    Sample("pypi-token", "pypi-AgEIcHlwaS5vcmc" + fill(ALNUM + "-_", 70)),
    Sample("dockerhub-token", "dckr_pat_" + fill(ALNUM + "-", 27)),
    Sample("rubygems-token", "rubygems_" + fill(HEX, 48)),
    Sample("clojars-token", "CLOJARS_" + fill("fake0123456789", 60)),
    Sample("huggingface-token", "hf_" + fill("FAKEfake", 34)),
    Sample("huggingface-token", "api_org_" + fill("FAKEfake", 34)),
    Sample("replicate-token", "r8_" + fill(ALNUM, 37)),
    # -- AI providers
    Sample("anthropic-key", "sk-ant-api03-" + fill(ALNUM + "-_", 93) + "AA"),
    Sample("anthropic-key", "sk-ant-admin01-" + fill(ALNUM + "-_", 93) + "AA"),
    Sample("anthropic-key", "sk-ant-oat01-" + fill(ALNUM + "-_", 93) + "AA"),
    Sample("openai-key", "sk-proj-" + fill(ALNUM + "-_", 74) + "T3BlbkFJ" + fill(ALNUM, 74)),
    Sample("openai-key", "sk-svcacct-" + fill(ALNUM + "-_", 58) + "T3BlbkFJ" + fill(ALNUM, 58)),
    Sample("openai-key", "sk-" + fill(ALNUM, 20) + "T3BlbkFJ" + fill(ALNUM, 20)),
    Sample("groq-key", "gsk_" + fill(ALNUM, 52)),
    Sample("perplexity-key", "pplx-" + fill(ALNUM, 48)),
    Sample("xai-key", "xai-" + fill(ALNUM, 80)),
    # -- clouds
    Sample("aws-access-key", "AKIA" + fill("FAKEFAKE01", 16)),
    Sample("aws-access-key", "ASIA" + fill("FAKEFAKE01", 16)),
    Sample(
        "assignment",
        fill("FakeFake0123/+", 40),
        "aws_secret_access_key = " + fill("FakeFake0123/+", 40),
    ),
    Sample(
        "assignment",
        fill("FakeFake0123/+", 40),
        '"SecretAccessKey": "' + fill("FakeFake0123/+", 40) + '"',
    ),
    Sample(
        "assignment",
        "IQoJb3JpZ2luX2Vj" + fill(ALNUM, 60),
        '"SessionToken": "IQoJb3JpZ2luX2Vj' + fill(ALNUM, 60) + '"',
    ),
    Sample("aws-bedrock-key", "ABSK" + fill("RmFrZUZha2U0123", 132)),
    Sample("gcp-api-key", "AIza" + fill("SyFAKEfake0123-_", 35)),
    Sample(
        "assignment",
        fill(HEX, 40),
        '"private_key_id": "' + fill(HEX, 40) + '"',
    ),
    Sample("google-oauth", "GOCSPX-" + fill(ALNUM, 28)),
    Sample("google-oauth", "ya29.a0" + fill(ALNUM + "_-", 100)),
    Sample(
        "assignment",
        "1//0g" + fill(ALNUM + "_-", 100),
        '"refresh_token": "1//0g' + fill(ALNUM + "_-", 100) + '"',
    ),
    Sample(
        "azure-storage-key",
        fill(ALNUM + "+/", 86) + "==",
        "DefaultEndpointsProtocol=https;AccountName=fakeacct;AccountKey="
        + fill(ALNUM + "+/", 86)
        + "==;EndpointSuffix=core.windows.net",
    ),
    Sample(
        "assignment",
        fill(ALNUM, 43) + "=",
        "Endpoint=sb://fake.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey="
        + fill(ALNUM, 43)
        + "=",
    ),
    Sample(
        "azure-sas",
        fill("FaKe0123%2B", 44) + "%3D",
        "https://fakeacct.blob.core.windows.net/c/f.txt?sv=2022-11-02&sp=r&sig="
        + fill("FaKe0123%2B", 44)
        + "%3D",
    ),
    Sample("azure-client-secret", "Fak8Q~" + fill(ALNUM + "_~.-", 34)),
    Sample("alibaba-key", "LTAI" + fill(ALNUM, 20)),
    Sample("digitalocean-token", "dop_v1_" + fill(HEX, 64)),
    Sample("digitalocean-token", "doo_v1_" + fill(HEX, 64)),
    Sample("heroku-key", "HRKU-AA" + fill(ALNUM + "_-", 58)),
    Sample(
        "assignment",
        "5f0e7a52-1c9b-4c3e-9d59-0a7c2f7b9e11",
        "HEROKU_API_KEY=5f0e7a52-1c9b-4c3e-9d59-0a7c2f7b9e11",
    ),
    Sample("flyio-token", "fo1_" + fill(ALNUM + "_-", 43)),
    Sample("flyio-token", "fm2_" + fill(ALNUM + "+/", 120), "FlyV1 fm2_" + fill(ALNUM + "+/", 120)),
    Sample("databricks-token", "dapi" + fill(HEX, 32)),
    Sample("terraform-token", fill(ALNUM, 14) + ".atlasv1." + fill(ALNUM + "_-=", 67)),
    Sample("vault-token", "hvs." + fill("CAESIFake" + ALNUM + "_-", 95)),
    Sample("vault-token", "hvb." + fill("AAAAAQFake" + ALNUM, 140)),
    Sample("doppler-token", "dp.pt." + fill(ALNUM, 43)),
    Sample("doppler-token", "dp.st.dev." + fill(ALNUM, 40)),
    Sample("assignment", "pul-" + fill(HEX, 40), "PULUMI_ACCESS_TOKEN=pul-" + fill(HEX, 40)),
    Sample("supabase-token", "sbp_" + fill(HEX, 40)),
    Sample("planetscale-token", "pscale_tkn_" + fill(ALNUM + "_", 43)),
    Sample("onepassword-token", "ops_eyJ" + fill("RmFrZUZha2U0123", 250)),
    # -- payments, messaging and other services
    Sample("stripe-key", "sk_live_" + fill(ALNUM, 99)),
    Sample("stripe-key", "sk_test_" + fill(ALNUM, 24)),
    Sample("stripe-key", "rk_live_" + fill(ALNUM, 99)),
    Sample("stripe-key", "whsec_" + fill(ALNUM, 32)),
    Sample("square-token", "sq0atp-" + fill(ALNUM, 22)),
    Sample("square-token", "sq0csp-" + fill(ALNUM, 43)),
    Sample("shopify-token", "shpat_" + fill(HEX, 32)),
    Sample("shopify-token", "shpss_" + fill(HEX, 32)),
    Sample("shopify-token", "shpca_" + fill(HEX, 32)),
    Sample("shopify-token", "shppa_" + fill(HEX, 32)),
    Sample("twilio-key", "SK" + fill(HEX, 32)),
    Sample("twilio-key", "AC" + fill(HEX, 32)),
    Sample("assignment", fill(HEX, 32), "TWILIO_AUTH_TOKEN=" + fill(HEX, 32)),
    Sample("sendgrid-key", "SG." + fill(ALNUM, 22) + "." + fill(ALNUM + "_-", 43)),
    Sample("mailgun-key", "key-" + fill(HEX, 32)),
    Sample(
        "mailgun-key",
        fill(HEX, 32) + "-deadbeef-0badcafe",
        "mailgun: " + fill(HEX, 32) + "-deadbeef-0badcafe",
    ),
    Sample("mailchimp-key", fill(HEX, 32) + "-us21", "Mailchimp key " + fill(HEX, 32) + "-us21"),
    Sample("slack-token", "xoxb-" + "1234567890123-1234567890123-" + fill(ALNUM, 24)),
    Sample("slack-token", "xoxp-" + "1234567890123-1234567890123-1234567890123-" + fill(HEX, 32)),
    Sample("slack-token", "xapp-1-A0FAKE0123-1234567890123-" + fill(HEX, 64)),
    Sample("slack-token", "xoxe.xoxp-1-" + fill(ALNUM, 163)),
    Sample(
        "slack-webhook", "https://hooks.slack.com/services/T00FAKE00/B00FAKE00/" + fill(ALNUM, 24)
    ),
    Sample(
        "discord-webhook",
        "https://discord.com/api/webhooks/123456789012345678/" + fill(ALNUM + "_-", 68),
    ),
    Sample(
        "discord-bot-token",
        b64("123456789012345678") + ".GFakeX." + fill(ALNUM + "_-", 38),
    ),
    Sample(
        "discord-bot-token", b64("1234567890123456789").rstrip("=") + ".GFakeX." + fill(ALNUM, 38)
    ),
    Sample("telegram-bot-token", _TELEGRAM),
    Sample("telegram-bot-token", _TELEGRAM, "https://api.telegram.org/bot" + _TELEGRAM + "/getMe"),
    Sample("linear-key", "lin_api_" + fill(ALNUM, 40)),
    Sample("notion-token", "ntn_" + "12345678901" + fill(ALNUM, 35)),
    Sample("notion-token", "secret_" + fill(ALNUM, 43)),
    Sample("figma-token", "figd_" + fill(ALNUM + "_-", 40)),
    Sample("contentful-token", "CFPAT-" + fill(ALNUM + "_-", 43)),
    Sample("postman-key", "PMAK-" + fill(HEX, 24) + "-" + fill(HEX, 34)),
    Sample("newrelic-key", "NRAK-" + fill("FAKEFAKE0123456789", 27)),
    Sample("sentry-token", "sntryu_" + fill(HEX, 64)),
    Sample("grafana-token", "glc_" + fill(ALNUM + "+/", 40) + "=="),
    Sample("grafana-token", "glsa_" + fill(ALNUM, 32) + "_" + fill(HEX, 8)),
    Sample("dynatrace-token", "dt0c01." + fill("FAKEFAKE0123456789", 24) + "." + fill(ALNUM, 64)),
    # -- shapes of any provider
    Sample(
        "jwt",
        "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiJmYWtlIn0" + ".RmFrZVNpZ25hdHVyZUZha2U",
    ),
    Sample("bearer-token", fill(ALNUM, 40), "Authorization: Bearer " + fill(ALNUM, 40)),
    Sample("bearer-token", fill(HEX, 40), "Authorization: token " + fill(HEX, 40)),
    Sample(
        "bearer-token", b64("fakeuser:fakepass"), "Authorization: Basic " + b64("fakeuser:fakepass")
    ),
    Sample(
        "basic-auth",
        "fakeuser:Fake-Passw0rd",
        "curl -u fakeuser:Fake-Passw0rd https://api.example.com",
    ),
    Sample(
        "url-password",
        "fakeuser:FakePassw0rd",
        "postgres://fakeuser:FakePassw0rd@db.example.com:5432/app",
    ),
    Sample(
        "url-password",
        "fakeuser:Fake@Passw0rd",
        "mongodb+srv://fakeuser:Fake@Passw0rd@cluster0.fake.mongodb.net/app",
    ),
    Sample("url-password", "fakeuser:FakePassw0rd", "mysql://fakeuser:FakePassw0rd@localhost/app"),
    Sample("url-password", ":FakePassw0rd", "redis://:FakePassw0rd@cache.example.com:6379/0"),
    Sample(
        "netrc-password",
        "Fake-Passw0rd-1",
        "machine api.example.com login fakeuser password Fake-Passw0rd-1",
    ),
    Sample("secret-flag", "Fake-Passw0rd-2", "mysqldump --password Fake-Passw0rd-2 app"),
    Sample("secret-flag", "fake0123456789", "deploy --api-token fake0123456789"),
    Sample("assignment", "Fake-Passw0rd-3", "DB_PASSWORD=Fake-Passw0rd-3"),
    Sample("assignment", "Fake-Passw0rd-4", "password: 'Fake-Passw0rd-4'"),
    Sample("assignment", "Fake-Passw0rd-5", 'token := "Fake-Passw0rd-5"'),
    Sample("assignment", "Fake-Passw0rd-6", '{\\"password\\": \\"Fake-Passw0rd-6\\"}'),
    Sample("assignment", fill(ALNUM, 24), "STRIPE_KEY=" + fill(ALNUM, 24)),
    Sample("assignment", fill(ALNUM, 32), 'encryptionKey: "' + fill(ALNUM, 32) + '"'),
    Sample("assignment", b64("fakeuser:fakepass"), "_auth=" + b64("fakeuser:fakepass")),
)

# Text that holds no secret, though parts of it look like one to a careless pattern.
NOT_SECRETS: tuple[str, ...] = (
    "commit 8fbf9affb5bbfa82e5f0d6b001a7e137c50d4d62",
    "Merge: 8fbf9af b4d1513",
    '"sessionId": "5f0e7a52-1c9b-4c3e-9d59-0a7c2f7b9e11", '
    '"uuid": "00000000-0000-4000-8000-000000000001"',
    "echo SGVsbG8sIHRoaXMgaXMgcGxhaW4gdGV4dCBpbiBiYXNlNjQu | base64 -d",
    'requests = [{file = "requests-2.31.0-py3-none-any.whl", hash = "sha256:'
    + fill("58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f", 64)
    + '"}]',
    '"integrity": "sha512-' + fill("dGhpcyBpcyBub3QgYSBzZWNyZXQ", 86) + '=="',
    'checksum = "' + fill("3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d", 64) + '"',
    "golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=",
    "pip install --require-hashes requests==2.31.0 --hash=sha256:" + fill(HEX, 64),
    "FROM python@sha256:" + fill(HEX, 64),
    "max_tokens: 4096",
    '"input_tokens": 1234, "output_tokens": 5678',
    "token_url: https://oauth2.googleapis.com/token",
    "tokenizer: bert-base-uncased",
    "password_file: /run/secrets/db-password",
    "sort_key = user_id",
    "primary_key=True",
    'cache_key = f"user:{uid}"',
    "key: value",
    "author: Alice Example",
    "Co-Authored-By: Claude <noreply@anthropic.com>",
    "git push -u origin main",
    "sort -u names.txt > unique.txt",
    "echo $TOKEN | docker login --username fakeuser --password-stdin",
    'msg.content_type = "text/plain"',
    "hf_hub_download(repo_id='bert-base-uncased', filename='config.json')",
    "npm_config_cache=/tmp/npm-cache npm ci",
    "pip install scikit-learn  # sk-learn for short",
    "MicrosoftExtensionsLogging.Logger.LogInformationWithAVeryLongMethodName",
    "https://example.com:8080/path?q=1",
    "git@github.com:acme/widgets.git",
    "Send a Bearer token in the Authorization header.",
    "This is the basic configuration/options page.",
    "AC/DC, SKU 1234, ACME Corp",
    "Use the public_key = " + "AAAAC3NzaC1lZDI1NTE5AAAAI" + fill(ALNUM, 40),
)
