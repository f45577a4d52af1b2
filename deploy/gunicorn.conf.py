# Gunicorn settings for the hotline (used by `ivr serve --prod` and `gunicorn -c`).
# Webhooks are short database-bound requests: sync workers plus threads keep latency flat.
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# One process per core, threads for the waits on the database. Measured on 2 cores with
# 2,000 real-time simulated calls at once: 2 workers x 8 threads ran with zero errors twice,
# 4 x 4 failed three runs of four (the busier processes fell behind and answers took over
# 15 s); plain throughput was the same within noise.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 30
graceful_timeout = 20  # a restart lets in-flight webhooks finish; call state is in the database
keepalive = 5  # nginx's upstream keepalive_timeout (deploy/nginx.conf) must stay below this
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
