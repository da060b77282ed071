"""The example service through FastAPI's test client, on a fresh SQLite file."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service import create_app, create_database

import finpolicy as fp

DAY = dt.date(2026, 3, 2)  # sales are decided for this day


@pytest.fixture(scope="module")
def engine() -> fp.PolicyEngine:
    return fp.PolicyEngine()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "customers.db"
    create_database(path)
    return path


@pytest.fixture
def client(database: Path, engine: fp.PolicyEngine) -> Iterator[TestClient]:
    with TestClient(create_app(database, engine, clock=lambda: DAY)) as client:
        yield client


def test_a_teller_reads_a_customer_with_the_id_number_masked(client: TestClient) -> None:
    response = client.get("/customers/cust-001", headers={"X-Staff": "u-teller-1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "id_number" in body["masked"]
    assert body["customer"]["id_number"] != "11010519491231002X"
    assert "*" in body["customer"]["id_number"]
    assert body["customer"]["id"] == "cust-001"


def test_an_unknown_caller_is_refused_with_the_reason(client: TestClient) -> None:
    response = client.get("/customers/cust-001", headers={"X-Staff": "someone"})
    assert response.status_code == 403
    assert response.json()["detail"]["reasons"]


def test_a_purpose_the_role_does_not_serve_is_refused(client: TestClient) -> None:
    response = client.get("/customers/cust-001", headers={"X-Staff": "u-teller-1",
                                                          "X-Purpose": "marketing"})
    assert response.status_code == 403
    assert response.json()["detail"]["outcome"] == "deny"


def test_a_suitable_sale_is_recorded_with_the_bundle_that_decided(
        client: TestClient, database: Path, engine: fp.PolicyEngine) -> None:
    response = client.post("/customers/cust-001/sales", headers={"X-Staff": "u-cm-3"},
                           json={"product_id": "wm-low-1", "amount": "50000"})
    assert response.status_code == 201, response.text
    assert response.json()["outcome"] in ("suitable", "conditional")
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT customer, product, bundle_digest FROM sales").fetchall()
    assert rows == [("cust-001", "wm-low-1", engine.bundle.digest)]


def test_an_unsuitable_sale_is_refused_and_not_recorded(client: TestClient,
                                                        database: Path) -> None:
    response = client.post("/customers/cust-002/sales", headers={"X-Staff": "u-cm-3"},
                           json={"product_id": "fund-eq-88", "amount": "10000"})
    assert response.status_code == 409, response.text
    assert response.json()["detail"]["outcome"] == "unsuitable"
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM sales").fetchone() == (0,)


def test_a_role_that_may_not_write_cannot_sell(client: TestClient) -> None:
    response = client.post("/customers/cust-001/sales", headers={"X-Staff": "u-analyst-9"},
                           json={"product_id": "wm-low-1", "amount": "50000"})
    assert response.status_code == 403


def test_a_bad_sale_is_422(client: TestClient) -> None:
    response = client.post("/customers/cust-001/sales", headers={"X-Staff": "u-cm-3"},
                           json={"product_id": "wm-low-1", "amount": "-5"})
    assert response.status_code == 422
