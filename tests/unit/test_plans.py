"""binstore.plans: what each plan may store."""

import pytest
from binstore import errors
from binstore.plans import FREE, KB, LARGEST_RECORD_BYTES, MAX_VERSIONS_PER_BIN, MB, PLANS, PRO, check_record_size


def test_the_plans_as_jsonbin_sells_them():
    assert PLANS == {"free": FREE, "pro": PRO}
    assert (FREE.max_record_bytes, FREE.versioning, FREE.default_requests) == (500 * 1024, False, 10_000)
    assert (PRO.max_record_bytes, PRO.versioning, PRO.default_requests) == (1024 * 1024, True, 100_000)
    assert (KB, MB) == (1024, 1024 * 1024)
    assert LARGEST_RECORD_BYTES == 1024 * 1024
    assert MAX_VERSIONS_PER_BIN == 1000


@pytest.mark.parametrize("plan", [FREE, PRO], ids=lambda plan: plan.name)
@pytest.mark.parametrize("under", [0, 1], ids=["at the limit", "one under"])
def test_a_record_up_to_the_plans_limit_is_stored(plan, under):
    assert check_record_size(plan, plan.max_record_bytes - under) is None


@pytest.mark.parametrize("plan, refusal, message", [
    (FREE, errors.RecordTooLargeForFreePlan,
     "Free users cannot update a record over 500kb. Upgrade to Pro plan to update records upto 1mb"),
    (PRO, errors.RecordTooLarge, "Records over 1mb cannot be stored on any plan"),
], ids=["free", "pro"])
def test_one_byte_over_the_plans_limit_is_refused_with_its_words(plan, refusal, message):
    with pytest.raises(errors.Forbidden) as refused:
        check_record_size(plan, plan.max_record_bytes + 1)
    assert type(refused.value) is refusal and refused.value.message == message


def test_a_record_a_free_user_cannot_store_a_pro_user_can():
    check_record_size(PRO, FREE.max_record_bytes + 1)
    with pytest.raises(errors.RecordTooLargeForFreePlan):
        check_record_size(FREE, PRO.max_record_bytes + 1)  # a free user is told of the free plan's limit
