import threading

import pytest
from django.db import connection

from accounts import tokens
from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_rotations_of_one_refresh_token_yield_one_new_pair():
    refresh = tokens.token_pair_issue(user=UserFactory())["refresh"]
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def rotate() -> None:
        barrier.wait()
        try:
            tokens.token_pair_rotate(refresh=refresh)
            outcomes.append("rotated")
        except ApplicationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=rotate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "refused", "refused", "rotated"]
