# Gunicorn settings for the hotline (used by `ivr serve --prod` and `gunicorn -c`).
# Webhooks are short database-bound requests: sync workers plus threads keep latency flat.
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20  # a restart lets in-flight webhooks finish; call state is in the database
keepalive = 5
max_requests = 20000
max_requests_jitter = 2000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '{"ts":"%(t)s","event":"http.access","path":"%(U)s","status":%(s)s,"ms":%(M)s}'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """Merge per-worker Prometheus samples correctly when a worker goes away."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
