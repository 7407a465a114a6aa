# userpools in a container: a small image (python slim, the wheel and its dependencies only), run as a
# non-root user, data in a volume, a health check on /_userpools/health.
#
#   docker build -t userpools .
#   docker run -p 9229:9229 -v userpools-data:/data \
#     -e USERPOOLS_ADMIN_CREDENTIALS=AKIDEXAMPLE:a-long-random-secret userpools
#
# Bound to 0.0.0.0 the server needs admin credentials (USERPOOLS_ADMIN_CREDENTIALS=ACCESS_KEY_ID:SECRET, the
# pair clients sign with); without them it refuses to start. Every `userpools serve` option can be given as
# USERPOOLS_<NAME> (USERPOOLS_DATABASE_URL, USERPOOLS_DATA_KEY, USERPOOLS_PUBLIC_URL, …). compose.yaml runs it
# with PostgreSQL.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home userpools \
    && mkdir /data && chown userpools:userpools /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
ENV USERPOOLS_DATA_DIR=/data \
    USERPOOLS_LOG_FORMAT=json \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
USER userpools
EXPOSE 9229
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:9229/_userpools/health', timeout=2).status != 200)"]
ENTRYPOINT ["userpools"]
CMD ["serve", "--host", "0.0.0.0", "--port", "9229", "--data-dir", "/data"]
