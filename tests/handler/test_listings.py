"""Listings through the Lambda handler: GET /v3/c, GET /v3/c/<id>/bins[/<lastBinId>], and the
uncategorized bins; their order, pages, refusals, and what they promise while bins come and go."""

import threading

import pytest
from tests.support.events import api_event
from tests.support.store import UNKNOWN_ID, Account, master


def listing(invoke, account, collection="uncategorized", after=None, order=None):
    path = f"/v3/c/{collection}/bins" + (f"/{after}" if after else "")
    headers = {**master(account), **({"X-Sort-Order": order} if order else {})}
    return invoke(api_event("GET", path, headers=headers))


def every_page(invoke, account, collection="uncategorized", order=None) -> list[str]:
    """Every bin of a listing, page by page, as a client following JSONBin's docs would read it. If
    the last bin of a page is deleted before the next page is asked for (404, as documented), it
    continues from the bin before it."""
    seen: list[str] = []
    while True:
        status, _, page = 404, None, None
        for after in [*reversed(seen), None] if seen else [None]:
            status, _, page = listing(invoke, account, collection, after, order)
            if status != 404:
                break
        assert status == 200, page
        fresh = [item["record"] for item in page if item["record"] not in seen]
        if not page:
            return seen
        assert fresh == [item["record"] for item in page], "a page repeated a bin"
        seen += fresh


def test_bins_are_listed_ten_a_page_newest_first_in_jsonbins_shape(invoke, pro):
    collection_id = pro.create_collection()
    made = [pro.create_bin({"n": n}, collection_id=collection_id, private=n % 2 == 0,
                           name=f"bin {n}" if n != 3 else None) for n in range(12)]
    pro.create_bin({"elsewhere": True})  # uncategorized: not in the collection's listing
    before = pro.requests_remaining

    status, _, first = listing(invoke, pro, collection_id)
    assert status == 200
    assert [item["record"] for item in first] == made[::-1][:10]
    assert list(first[0]) == ["snippetMeta", "private", "record", "createdAt"]
    assert first[0]["snippetMeta"] == {"name": "bin 11"} and first[0]["private"] is False
    assert next(item for item in first if item["record"] == made[3])["snippetMeta"] == {}
    _, _, second = listing(invoke, pro, collection_id, first[-1]["record"])
    assert [item["record"] for item in second] == made[::-1][10:]
    assert listing(invoke, pro, collection_id, second[-1]["record"])[::2] == (200, [])
    assert pro.requests_remaining == before - 3  # each page spends one request

    _, _, ascending = listing(invoke, pro, collection_id, order="Ascending")
    assert [item["record"] for item in ascending] == made[:10]
    _, _, rest = listing(invoke, pro, collection_id, ascending[-1]["record"], order="ascending")
    assert [item["record"] for item in rest] == made[10:]


def test_uncategorized_lists_the_bins_of_no_collection_of_this_account_only(invoke, store, pro):
    loose = [pro.create_bin({"n": n}) for n in range(3)]
    pro.create_bin({"in": "collection"}, collection_id=pro.create_collection())
    Account(store, "pro").create_bin({"other": "account"})
    assert every_page(invoke, pro) == loose[::-1]


def test_the_collections_list_shows_each_collection_with_its_schema_doc(invoke, store, pro):
    doc_id = pro.create_schema_doc({"type": "object"})
    first, second = pro.create_collection(doc_id), pro.create_collection()
    Account(store, "pro").create_collection()
    before = pro.requests_remaining
    status, _, listed = invoke(api_event("GET", "/v3/c", headers=master(pro)))
    assert status == 200
    created = {cid: store.collections.get(cid).created_at for cid in (first, second)}
    assert listed == [
        {"record": first, "collectionMeta": {"name": "Collection"}, "schemaDocId": doc_id, "createdAt": created[first]},
        {"record": second, "collectionMeta": {"name": "Collection"}, "schemaDocId": None, "createdAt": created[second]},
    ]
    assert pro.requests_remaining == before - 1


def test_a_last_bin_that_is_gone_or_elsewhere_is_not_found(invoke, store, pro):
    collection_id = pro.create_collection()
    kept, gone = (pro.create_bin({"n": n}, collection_id=collection_id) for n in range(2))
    assert invoke(api_event("DELETE", f"/v3/b/{gone}", headers=master(pro)))[0] == 200
    not_found = (404, {"message": "Bin not found or it doesn't belong to your account"})
    before = pro.requests_remaining
    assert listing(invoke, pro, collection_id, gone)[::2] == not_found
    assert listing(invoke, pro, "uncategorized", kept)[::2] == not_found  # in a collection, not uncategorized
    other = Account(store, "pro")
    assert listing(invoke, other, "uncategorized", other.create_bin())[0] == 200
    assert listing(invoke, pro, "uncategorized", other.create_bin())[::2] == not_found
    assert pro.requests_remaining == before  # refusals spend nothing


@pytest.mark.parametrize("path, headers, status, message", [
    ("/v3/c/nope/bins", {}, 400, "Invalid Collection Id provided"),
    ("/v3/c/{collection}/bins/nope", {}, 400, "Invalid Bin Id provided"),
    (f"/v3/c/{UNKNOWN_ID}/bins", {}, 404, "Collection not found"),
    ("/v3/c/{other}/bins", {}, 404, "Collection not found"),
    ("/v3/c/{collection}/bins", {"X-Sort-Order": "sideways"}, 400, "X-Sort-Order must be ascending or descending"),
    ("/v3/c/{collection}/bins", {"x-master-key": None}, 401, "You need to pass X-Master-Key in the header"),
    ("/v3/c", {"x-master-key": None}, 401, "You need to pass X-Master-Key in the header"),
    ("/v3/c", {"x-master-key": None, "X-Access-Key": "{access}"}, 401, "You need to pass X-Master-Key in the header"),
    ("/v3/c/uncategorized/bins", {"x-master-key": "bogus"}, 401, "Invalid X-Master-Key provided"),
])
def test_listing_refusals_spend_nothing(invoke, store, pro, path, headers, status, message):
    ids = {"collection": pro.create_collection(), "other": Account(store, "pro").create_collection(),
           "access": pro.create_access_key("create", "read", "update", "delete")}
    before = pro.requests_remaining
    headers = {name: value.format(**ids) if isinstance(value, str) else value for name, value in headers.items()}
    assert invoke(api_event("GET", path.format(**ids), headers={**master(pro), **headers}))[::2] == (
        status, {"message": message})
    assert pro.requests_remaining == before


def test_an_account_out_of_requests_cannot_list(invoke, store):
    poor = Account(store, "free", requests=0)
    for path in ("/v3/c", "/v3/c/uncategorized/bins"):
        status, _, body = invoke(api_event("GET", path, headers=master(poor)))
        assert status == 403 and body["message"].startswith("Requests exhausted"), body


def test_paging_while_bins_are_created_and_deleted_shows_each_lasting_bin_exactly_once(invoke, store, pro):
    """What the README promises: every bin that exists throughout the paging is listed exactly once,
    in order; bins created or deleted meanwhile may or may not be; a page never repeats a bin."""
    from binstore.bins import delete_bin

    collection_id = pro.create_collection()
    lasting = [pro.create_bin({"n": n}, collection_id=collection_id) for n in range(25)]
    for order in ("descending", "ascending"):
        doomed = [pro.create_bin({"d": n}, collection_id=collection_id) for n in range(10)]
        started = threading.Event()

        def churn(doomed=doomed):
            started.set()
            for n in range(15):  # bounded: in ascending order, new bins join the end of the listing
                pro.create_bin({"new": n}, collection_id=collection_id)
                if doomed:
                    delete_bin(store, doomed.pop(), pro.credentials)

        worker = threading.Thread(target=churn)
        worker.start()
        started.wait()
        try:
            seen = every_page(invoke, pro, collection_id, order)
        finally:
            worker.join()
        positions = [seen.index(bin_id) for bin_id in lasting]
        assert positions == sorted(positions, reverse=order == "descending"), "lasting bins out of order"
        assert len(seen) == len(set(seen))
