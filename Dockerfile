# apple-music-mock as a CI service container.
#
#   docker build -t apple-music-mock .
#   docker run --rm -p 8080:8080 -e APPLE_MUSIC_MOCK_ADMIN_TOKEN="$(openssl rand -hex 16)" \
#       apple-music-mock
#
# The fake binds 0.0.0.0:8080 in the container. Requests from outside the container do not
# come from loopback, so the admin API under /_mock/ (which the pytest plugin drives) answers
# them only with an admin token: give the container APPLE_MUSIC_MOCK_ADMIN_TOKEN (at least 8
# characters) at run time, and the same value to the tests (APPLE_MUSIC_MOCK_ADMIN_TOKEN or
# --apple-music-admin-token). No token is baked into the image. Without one the fake still
# serves the API and /openapi.json, warns, and answers /_mock/ only from the container's own
# loopback (the health check below).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY schemas ./schemas
COPY mockserver ./mockserver
COPY pytest_plugin ./pytest_plugin
COPY apple_music_mock_pytest.py ./
RUN pip install . \
    && rm -rf /src \
    && useradd --create-home --uid 10001 mock

USER mock
WORKDIR /home/mock
EXPOSE 8080

# The slim image has no curl: python's urllib, with the admin token when one is set (the
# health route is part of the admin API).
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8080/_mock/health', headers={'X-Mock-Admin-Token': os.environ.get('APPLE_MUSIC_MOCK_ADMIN_TOKEN', '')}), timeout=2)"]

CMD ["apple-music-mock", "serve", "--host", "0.0.0.0", "--port", "8080"]
