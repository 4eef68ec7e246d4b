"""``learnloop worker``: run background jobs (grader training) from the Redis queue."""

from __future__ import annotations

import click

from learnloop.cli.base import cli, console
from learnloop.services import Backend, jobs


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
@click.option(
    "--simple",
    is_flag=True,
    help="Run each job in this process instead of a forked one (where fork is unavailable, "
    "or to debug).",
)
def worker(burst: bool, simple: bool) -> None:
    """Consume the job queue at LEARNLOOP_REDIS_URL. Run one or more beside the servers, with
    the same LEARNLOOP_DATABASE_URL and LEARNLOOP_DATA_DIR; without LEARNLOOP_REDIS_URL jobs
    run inside the server and no worker is needed."""
    backend = Backend.open()
    try:
        ran = jobs.work(backend, burst=burst, simple=simple)
    finally:
        backend.close()
    if burst:
        console.print("ran the waiting jobs" if ran else "no job was waiting", markup=False)
