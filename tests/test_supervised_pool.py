"""The one supervised worker pool (core/workers.py) and the one local-or-Dask map (core/executors.py), on their own:
real forked workers that answer, hang, crash or get killed, and a real fork process pool."""

from __future__ import annotations

import os
import signal
import time

import pytest

from phiphantom.core.executors import Executor, ExecutorSession, local_map
from phiphantom.core.workers import Lost, SupervisedPool, Worker, serve


def _handle(task: tuple) -> object:
    index, action = task
    if action == "hang":
        time.sleep(60)
    elif action == "exit":
        os._exit(3)
    elif action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    return (index, action, os.getpid())


def _main(conn, parent_pid: int, serial: int) -> None:
    serve(conn, parent_pid, _handle)


def test_answers_timeouts_and_crashes_cost_only_their_task(tmp_path):
    lost_seen: list[int | None] = []
    pool = SupervisedPool(_main, 2, 1.0, timeout_message="no answer within 1 s", depth=2,
                          lost=lambda worker: lost_seen.append(worker.task))
    actions = ["ok", "hang", "ok", "exit", "ok", "kill", "ok", "ok"]
    answers = dict(pool.run(list(enumerate(actions))))
    assert sorted(answers) == list(range(len(actions)))  # every task answered once, queued ones included
    assert answers[1] == Lost("Timeout", "no answer within 1 s", answers[1].seconds) and answers[1].seconds >= 1.0
    assert isinstance(answers[3], Lost) and answers[3].error_class == "WorkerCrashed"
    assert answers[3].message == "the worker process exited with status 3"
    assert isinstance(answers[5], Lost) and answers[5].message == "the worker process was killed by signal SIGKILL"
    for index in (0, 2, 4, 6, 7):
        assert answers[index][:2] == (index, "ok")
    assert pool.restarts == 3 and sorted(lost_seen) == [1, 3, 5]
    assert pool.workers == []  # stopped at the end


def test_ready_hook_sees_every_worker_and_replacement():
    started: list[int] = []

    def ready(worker: Worker) -> None:
        started.append(worker.pid)

    pool = SupervisedPool(_main, 1, 5.0, timeout_message="t", ready=ready)
    answers = dict(pool.run([(0, "exit"), (1, "ok")]))
    assert isinstance(answers[0], Lost) and answers[1][1] == "ok"
    assert len(started) == 2 and answers[1][2] == started[1]  # the replacement answered the next task


def test_ask_does_not_replace_a_timed_out_worker():
    pool = SupervisedPool(_main, 1, 5.0, timeout_message="t")
    pool.start(1)
    try:
        assert pool.ask((0, "ok"), 5.0, "slow")[1] == "ok"
        answer = pool.ask((1, "hang"), 0.5, "slow")
        assert answer == Lost("Timeout", "slow", answer.seconds) and not pool.workers[0].process.is_alive()
    finally:
        pool.close()


def _square(task: int, offset: int = 0) -> int:
    return task * task + offset


@pytest.mark.parametrize("workers", [1, 3])
def test_local_map_yields_every_position_once(workers):
    results = dict(local_map(_square, list(range(20)), workers, offset=1))
    assert results == {i: i * i + 1 for i in range(20)}


def test_session_map_uses_the_callers_pool_locally():
    session = ExecutorSession(Executor())
    assert session.size(4) == 4
    seen: list[list] = []

    def local(tasks: list) -> object:
        seen.append(tasks)
        return iter([(0, "mine")])

    assert list(session.map(_square, [5], local=local)) == [(0, "mine")] and seen == [[5]]
    assert list(session.map(_square, [5])) == [(0, 25)]


def _announcing_main(conn, parent_pid: int, serial: int) -> None:
    """Sends a notice ("started", index) before each answer; a "hang" task never answers after it."""
    while True:
        task = conn.recv()
        if task is None:
            return
        index, action = task
        conn.send(("started", index))
        if action == "hang":
            time.sleep(60)
        conn.send((index, action))


def test_interim_notices_are_not_answers_and_the_deadline_still_stands():
    notices: list[tuple[int | None, object]] = []

    def interim(worker: Worker, message: object) -> bool:
        if isinstance(message, tuple) and message[0] == "started":
            notices.append((worker.task, message[1]))
            return True
        return False

    pool = SupervisedPool(_announcing_main, 1, 1.0, timeout_message="no answer within 1 s", interim=interim)
    answers = dict(pool.run([(0, "ok"), (1, "hang"), (2, "ok")]))
    assert answers[0] == (0, "ok") and answers[2] == (2, "ok")  # the answers, never the notices
    assert isinstance(answers[1], Lost) and answers[1].error_class == "Timeout"  # a notice did not reset the clock
    assert notices == [(0, 0), (1, 1), (2, 2)]  # each notice seen while its task was in flight


def test_without_an_interim_hook_a_notice_would_be_taken_as_the_answer():
    pool = SupervisedPool(_announcing_main, 1, 5.0, timeout_message="t")
    answers = dict(pool.run([(0, "ok")]))
    assert answers[0] == ("started", 0)  # what the hook exists to tell apart
