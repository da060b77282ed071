"""A small customer-data API that asks finpolicy before it shows or sells anything.

- ``GET /customers/{id}``: the access policy decides whether the caller may read the
  customer's record for the purpose they give (``X-Purpose``); fields above what the caller
  may see come back masked, as the classification policy masks them.
- ``POST /customers/{id}/sales``: a sale is recorded only when the access policy lets the
  caller write the customer's business data and the suitability policy finds the product
  suitable (or conditional, with the duties it brings) for the customer on that day.

Callers are the bank's staff, known by the ``X-Staff`` header (a real service would take them
from its single sign-on); their roles, department and branch come from the ``staff`` table.
"""

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

import finpolicy as fp
from finpolicy.integrations import field_levels, mask_fields
from finpolicy.integrations.fastapi import Authorize

SCHEMA = """
CREATE TABLE staff (id TEXT PRIMARY KEY, roles TEXT NOT NULL, department TEXT NOT NULL,
                    branch TEXT NOT NULL);
CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT NOT NULL, mobile TEXT NOT NULL,
                        id_number TEXT NOT NULL, department TEXT NOT NULL, branch TEXT NOT NULL,
                        risk_level TEXT NOT NULL, assessment_date TEXT NOT NULL,
                        birth_date TEXT NOT NULL);
CREATE TABLE products (id TEXT PRIMARY KEY, kind TEXT NOT NULL, risk_level TEXT NOT NULL,
                       term_months INTEGER);
CREATE TABLE sales (id INTEGER PRIMARY KEY AUTOINCREMENT, customer TEXT NOT NULL,
                    product TEXT NOT NULL, amount TEXT NOT NULL, sold_by TEXT NOT NULL,
                    sold_on TEXT NOT NULL, outcome TEXT NOT NULL, bundle_digest TEXT NOT NULL);
"""

SEED = {
    "staff": [("u-teller-1", "teller", "retail", "BJ01"),
              ("u-cm-3", "customer_manager", "retail", "BJ01"),
              ("u-analyst-9", "data_analyst", "retail", "BJ01")],
    "customers": [("cust-001", "张三", "13800138000", "11010519491231002X", "retail", "BJ01",
                   "C3", "2026-01-15", "1962-05-10"),
                  ("cust-002", "李四", "13900139000", "44030519900101123X", "retail", "BJ01",
                   "C1", "2025-11-20", "1985-01-01")],
    "products": [("wm-low-1", "wealth_management", "R2", 12),
                 ("fund-eq-88", "fund", "R4", None)],
}


def create_database(path: str | Path) -> None:
    """Create the tables and the example rows."""
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        for table, rows in SEED.items():
            marks = ",".join("?" * len(rows[0]))
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


class Sale(BaseModel):
    """A sale the caller asks to record."""

    product_id: str = Field(min_length=1, max_length=64)
    amount: Decimal = Field(gt=0, le=10**12)


def create_app(database: str | Path, engine: fp.PolicyEngine | None = None, *,
               clock: Callable[[], dt.date] = dt.date.today) -> FastAPI:
    """The service over the SQLite file ``database`` (``create_database`` makes one);
    ``clock`` gives the day sales are decided for."""
    policy = engine or fp.PolicyEngine()
    app = FastAPI(title="customer service")

    def connect() -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(database)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    Db = Annotated[sqlite3.Connection, Depends(connect)]

    @app.middleware("http")
    async def staff_member(request: Request, call_next: Any) -> Any:
        request.scope["user"] = _staff(database, request.headers.get("x-staff"))
        return await call_next(request)

    def customer_record(request: Request) -> dict[str, Any]:
        row = _customer(database, request.path_params["customer_id"])
        fields = {k: row[k] for k in ("name", "mobile", "id_number")}
        return {"type": "customer_record", "data_level": "ordinary",
                "category": "basic_identity", "department": row["department"],
                "branch": row["branch"], "fields": field_levels(policy, fields)}

    def business_record(request: Request) -> dict[str, Any]:
        row = _customer(database, request.path_params["customer_id"])
        return {"type": "customer_record", "data_level": "ordinary", "category": "business",
                "department": row["department"], "branch": row["branch"]}

    Read = Annotated[fp.AccessDecision, Depends(Authorize(
        policy, action="read", resource=customer_record,
        purpose=lambda r: r.headers.get("x-purpose", "account_service")))]
    Write = Annotated[fp.AccessDecision, Depends(Authorize(
        policy, action="write", resource=business_record, purpose="account_service"))]

    @app.get("/customers/{customer_id}")
    def read_customer(customer_id: str, decision: Read, db: Db) -> dict[str, Any]:
        row = dict(db.execute("SELECT id, name, mobile, id_number, risk_level FROM customers "
                              "WHERE id = ?", (customer_id,)).fetchone())
        return {"customer": mask_fields(policy, row, decision),
                "masked": sorted(decision.masked_fields)}

    @app.post("/customers/{customer_id}/sales", status_code=201)
    def sell(customer_id: str, sale: Sale, decision: Write, db: Db,
             request: Request) -> dict[str, Any]:
        return _sell(policy, db, customer_id, sale, request.scope["user"]["id"], clock())

    return app


def _sell(policy: fp.PolicyEngine, db: sqlite3.Connection, customer_id: str, sale: Sale,
          seller: str, today: dt.date) -> dict[str, Any]:
    product = db.execute("SELECT * FROM products WHERE id = ?", (sale.product_id,)).fetchone()
    if product is None:
        raise HTTPException(404, f"no product `{sale.product_id}`")
    row = db.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
    suitability = policy.check_suitability(
        {"id": row["id"], "risk_level": row["risk_level"],
         "assessment_date": row["assessment_date"], "birth_date": row["birth_date"]},
        {k: product[k] for k in ("id", "kind", "risk_level", "term_months")
         if product[k] is not None},
        amount=sale.amount, as_of=today)
    answer = {"outcome": suitability.outcome, "obligations": list(suitability.obligations),
              "reasons": [h.reason for h in suitability.hits],
              "bundle_digest": suitability.policy.bundle_digest}
    if suitability.outcome == "unsuitable":
        raise HTTPException(409, answer)
    db.execute("INSERT INTO sales (customer, product, amount, sold_by, sold_on, outcome, "
               "bundle_digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
               (customer_id, sale.product_id, str(sale.amount), seller, today.isoformat(),
                suitability.outcome, suitability.policy.bundle_digest))
    db.commit()
    return answer


def _staff(database: str | Path, staff_id: str | None) -> dict[str, Any] | None:
    if not staff_id:
        return None
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT roles, department, branch FROM staff WHERE id = ?",
                         (staff_id,)).fetchone()
    if row is None:
        return None
    return {"id": staff_id, "roles": row[0].split(","), "department": row[1],
            "branch": row[2]}


def _customer(database: str | Path, customer_id: str) -> sqlite3.Row:
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
    if row is None:
        raise HTTPException(404, f"no customer `{customer_id}`")
    return row  # type: ignore[no-any-return]


def main() -> None:
    """``python service.py [DB]``: create the example database if missing and serve it on
    http://127.0.0.1:8000."""
    import sys

    import uvicorn

    database = Path(sys.argv[1] if len(sys.argv) > 1 else "customers.db")
    if not database.exists():
        create_database(database)
    uvicorn.run(create_app(database), host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
