"""Throttles count atomically: simultaneous attempts of one account cannot slip past the rate
(DRF's own throttle reads the window, then writes it back, so parallel attempts all pass)."""

import threading
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from accounts.throttles import LoginAccountIpThrottle
from core.throttles import account_rate_allows

ATTEMPTS = 40


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "5/min",
            "socket_frame": "7/min",
        },
    }
    cache.clear()
    yield
    cache.clear()


def _simultaneously(attempt, count: int) -> list[bool]:
    """`count` threads released together, each making one attempt."""
    start = threading.Barrier(count)
    answers: list[bool] = []
    failures: list[BaseException] = []

    def one() -> None:
        start.wait()
        try:
            answers.append(attempt())
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return answers


def _login_attempt() -> bool:
    request = SimpleNamespace(data={"email": "Target@Example.com"}, META={"REMOTE_ADDR": "203.0.113.7"}, headers={})
    return LoginAccountIpThrottle().allow_request(request, None)


def _assert_exactly_the_rate_passes(attempt, rate: int) -> None:
    # when many attempts arrive at the same moment
    answers = _simultaneously(attempt, ATTEMPTS)
    # then exactly the rate's worth pass, and the next one is refused too
    assert answers.count(True) == rate, answers
    assert attempt() is False


@pytest.mark.redis
def test_parallel_sign_in_attempts_on_redis_pass_only_up_to_the_rate(low_rates):
    _assert_exactly_the_rate_passes(_login_attempt, 5)


@pytest.mark.redis
def test_parallel_socket_frames_of_one_account_pass_only_up_to_the_rate(low_rates):
    _assert_exactly_the_rate_passes(lambda: account_rate_allows(scope="socket_frame", account_id="acct-1"), 7)


@pytest.mark.redis
def test_a_refused_attempt_is_told_to_wait_as_drf_says(low_rates):
    # given an account that used its five attempts of the minute
    throttle = LoginAccountIpThrottle()
    for _ in range(5):
        assert _login_attempt()

    # when one more comes
    assert not throttle.allow_request(
        SimpleNamespace(data={"email": "target@example.com"}, META={"REMOTE_ADDR": "203.0.113.7"}, headers={}), None
    )

    # then it waits until the oldest attempt leaves the minute's window
    assert 55 < throttle.wait() <= 60


@pytest.mark.redis
def test_during_a_rolling_deploy_old_and_new_processes_keep_out_of_each_others_keys(low_rates):
    # given the window an older process (DRF's own throttle) wrote for this account: a pickled list
    throttle = LoginAccountIpThrottle()
    request = SimpleNamespace(data={"email": "target@example.com"}, META={"REMOTE_ADDR": "203.0.113.7"}, headers={})
    drf_key = throttle.get_cache_key(request, None)
    cache.set(drf_key, [1.0, 2.0])

    # when a new process counts an attempt of the same account
    allowed = throttle.allow_request(request, None)

    # then it neither fails on nor touches the old value, which the old process can still read
    assert allowed
    assert cache.get(drf_key) == [1.0, 2.0]
