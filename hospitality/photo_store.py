"""The S3-compatible photo store (boto3), when S3_BUCKET is configured: one bucket every app server shares.

Keys are <S3_PREFIX><kind>/<name>. Any failure to reach the store is StoreDown (the photo module turns it into a
clear message and keeps nothing); a key that is not there is Missing.
"""
from flask import Response, current_app, redirect

from .errors import RuleError

SIGNED_SECONDS = 300  # a signed photo URL works five minutes: long enough to load, too short to pass around


class StoreDown(RuleError):
    """The store did not answer or refused the request (its words, for the log: photos.store says it to people)."""


class Missing(RuleError):
    """No such photo in the store."""


class S3Store:
    def __init__(self, config: dict):
        import boto3
        from botocore.config import Config as BotoConfig
        self.bucket = config["S3_BUCKET"]
        self.prefix = config.get("S3_PREFIX") or ""
        self.signed = config.get("PHOTO_URLS") == "signed"
        self.client = boto3.client(
            "s3", endpoint_url=config.get("S3_ENDPOINT_URL") or None, region_name=config.get("S3_REGION") or None,
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            # A store that does not answer costs a request a few seconds, not a hung worker.
            config=BotoConfig(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2},
                              s3={"addressing_style": config.get("S3_ADDRESSING") or "auto"},
                              signature_version="s3v4"))

    def key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}/{name}"

    def _call(self, fn, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            return fn(Bucket=self.bucket, **kwargs)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise Missing(kwargs.get("Key")) from None
            raise StoreDown(str(e)) from e
        except BotoCoreError as e:
            raise StoreDown(str(e)) from e

    def put(self, kind: str, name: str, data: bytes) -> None:
        self._call(self.client.put_object, Key=self.key(kind, name), Body=data, ContentType="image/jpeg")

    def delete(self, kind: str, name: str) -> None:
        self._call(self.client.delete_object, Key=self.key(kind, name))

    def size(self, kind: str, name: str) -> int:
        return self._call(self.client.head_object, Key=self.key(kind, name))["ContentLength"]

    def answer(self, kind: str, name: str) -> Response:
        if self.signed:
            url = self.client.generate_presigned_url("get_object", ExpiresIn=SIGNED_SECONDS,
                                                     Params={"Bucket": self.bucket, "Key": self.key(kind, name)})
            response = redirect(url)
            response.cache_control.max_age = SIGNED_SECONDS - 60
            return response
        body = self._call(self.client.get_object, Key=self.key(kind, name))["Body"]
        response = Response(body.iter_chunks(64 * 1024), mimetype="image/jpeg", direct_passthrough=True)
        response.cache_control.max_age = 365 * 24 * 3600
        return response

    def check(self) -> None:
        self._call(self.client.head_bucket)

    def origin(self) -> str:
        """Where signed URLs point (for the page's img-src)."""
        from urllib.parse import urlsplit
        url = urlsplit(self.client.generate_presigned_url("get_object", ExpiresIn=60,
                                                          Params={"Bucket": self.bucket, "Key": "x"}))
        return f"{url.scheme}://{url.netloc}"


def current() -> S3Store | None:
    """The app's store, made once per app and process; None when photos stay in instance/uploads/."""
    app = current_app._get_current_object()
    if not app.config.get("S3_BUCKET"):
        return None
    store = app.extensions.get("photo_store")
    if store is None:
        store = app.extensions["photo_store"] = S3Store(app.config)
    return store
