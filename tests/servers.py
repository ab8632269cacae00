"""Real servers for the tests that need them, started on a free port for the test and stopped after: Redis
(Debian's redis-server) and an S3-compatible store (moto's server, from PyPI). `.ci/run` installs both."""
import contextlib
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not open port {port}")


@contextlib.contextmanager
def running(cmd: list[str], port: int, what: str, log: Path):
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(port, proc, what)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def redis_server(tmp: Path):
    """A throw-away Redis (nothing saved to disk); yields its URL."""
    exe = shutil.which("redis-server")
    assert exe, "redis-server is not installed: scripts/system-deps.sh redis"
    port = free_port()
    cmd = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp)]
    with running(cmd, port, "redis-server", tmp / "redis.log") as proc:
        yield f"redis://127.0.0.1:{port}/0", proc


@contextlib.contextmanager
def s3_server(tmp: Path):
    """moto's S3-compatible server; yields its endpoint URL (any key and secret are accepted)."""
    port = free_port()
    with running([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], port, "moto_server",
                 tmp / "moto.log") as proc:
        yield f"http://127.0.0.1:{port}", proc


S3_KEYS = {"S3_ACCESS_KEY_ID": "test-key", "S3_SECRET_ACCESS_KEY": "test-secret", "S3_REGION": "us-east-1",
           "S3_ADDRESSING": "path"}


def make_bucket(endpoint: str, bucket: str) -> None:
    import boto3
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test-key",
                 aws_secret_access_key="test-secret").create_bucket(Bucket=bucket)
