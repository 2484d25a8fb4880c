# A small image that runs the bot as an unprivileged user, with the database
# on a volume so that limits, cache and queue survive a new container.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY locales ./locales
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/bot.sqlite3
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin bot \
    && mkdir /data && chown bot /data
USER bot
WORKDIR /data
VOLUME ["/data"]
# Used only in webhook mode (WEBHOOK_URL set).
EXPOSE 8080
# python-telegram-bot stops polling, finishes what is in flight and closes the
# database on SIGTERM, which is what `docker stop` sends.
STOPSIGNAL SIGTERM
# Healthy while the bot's heartbeat, written every 30 s after a database query,
# is fresh: the event loop runs and the database answers.
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
CMD ["python", "-m", "bot"]
