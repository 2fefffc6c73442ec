import hashlib
import http.server
import threading

import pytest

from lt_repro.data.download import ChecksumError, DownloadError, Remote, fetch, fetch_from_mirrors

PAYLOAD = bytes(range(256)) * 4000  # ~1 MB


class RangeHandler(http.server.BaseHTTPRequestHandler):
    ranges: list = []

    def do_GET(self):
        rng = self.headers.get("Range")
        type(self).ranges.append(rng)
        start = int(rng.split("=")[1].rstrip("-")) if rng else 0
        body = PAYLOAD[start:]
        self.send_response(206 if rng else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    RangeHandler.ranges = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def remote(url, md5=None):
    return Remote(f"{url}/file.bin", "file.bin", md5=md5 or hashlib.md5(PAYLOAD).hexdigest())


def test_fetch_verifies_and_renames(server, tmp_path):
    path = fetch(remote(server), tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert not (tmp_path / "file.bin.part").exists()


def test_fetch_resumes_a_partial_file(server, tmp_path):
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD[:300000])
    path = fetch(remote(server), tmp_path)
    assert RangeHandler.ranges == ["bytes=300000-"]
    assert path.read_bytes() == PAYLOAD


def test_checksum_mismatch_leaves_no_file(server, tmp_path):
    with pytest.raises(ChecksumError, match="corrupt or truncated.*re-download"):
        fetch(remote(server, md5="0" * 32), tmp_path)
    assert not (tmp_path / "file.bin").exists() and not (tmp_path / "file.bin.part").exists()


def test_corrupt_existing_file_is_reported_not_replaced(server, tmp_path):
    (tmp_path / "file.bin").write_bytes(PAYLOAD[:10])
    with pytest.raises(ChecksumError, match=str(tmp_path / "file.bin")):
        fetch(remote(server), tmp_path)
    assert (tmp_path / "file.bin").read_bytes() == PAYLOAD[:10]


def test_unreachable_host_names_the_file(tmp_path):
    with pytest.raises(DownloadError, match="place the file there by hand"):
        fetch(Remote("http://127.0.0.1:9/x.bin", "x.bin", md5="0" * 32), tmp_path, timeout=2)


def test_mirrors_are_tried_in_order_until_one_serves(server, tmp_path):
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    path = fetch_from_mirrors(["http://127.0.0.1:9/", f"{server}/"], "file.bin", md5, tmp_path, timeout=2)
    assert path.read_bytes() == PAYLOAD and RangeHandler.ranges == [None]


def test_every_mirror_failing_names_each_failure(tmp_path):
    with pytest.raises(DownloadError, match=r"127\.0\.0\.1:9/a/x\.bin.*; .*127\.0\.0\.1:9/b/x\.bin"):
        fetch_from_mirrors(["http://127.0.0.1:9/a/", "http://127.0.0.1:9/b/"], "x.bin", "0" * 32, tmp_path, timeout=2)
