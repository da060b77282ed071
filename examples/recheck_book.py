"""Re-check a whole book of customers after a suitability rule change; write the decisions
that change to Parquet.

The change: assessments stay valid for 180 days instead of 365 (a copy of the shipped pack,
edited). Every customer is checked against every product under both versions, on Spark
(``--spark``, ``local[2]`` unless ``--master`` says otherwise) or in this process, and the
pairs whose outcome differs are written to ``changed.parquet``.

    python examples/recheck_book.py --customers 100000 --spark
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs

ON = dt.date(2026, 3, 2)


def book(n: int, seed: int = 1) -> pa.Table:
    """``n`` generated customers: levels, assessments up to 400 days old, ages, assets."""
    rng = np.random.default_rng(seed)
    on = np.datetime64(ON.isoformat())
    return pa.table({
        "id": [f"c{i}" for i in range(n)],
        "risk_level": np.array(["C1", "C2", "C3", "C4", "C5"])[rng.integers(0, 5, n)],
        "assessment_date": on - rng.integers(0, 400, n).astype("timedelta64[D]"),
        "birth_date": on - rng.integers(18 * 365, 90 * 365, n).astype("timedelta64[D]"),
        "investable_assets": rng.integers(1, 100, n) * 10_000.0,
    })


def offer() -> list[fp.Product]:
    kinds = ["wealth_management", "fund", "structured_deposit", "bond"]
    return [fp.Product(id=f"p{i}", kind=kinds[i % 4], risk_level=f"R{i % 5 + 1}",
                       term_months=[3, 12, 24][i % 3]) for i in range(20)]


def proposed_pack() -> Path:
    """A copy of the shipped pack in which assessments stay valid for 180 days."""
    folder = Path(tempfile.mkdtemp(prefix="proposed-")) / "cn-banking"
    shutil.copytree(shipped_packs() / "cn-banking", folder)
    policy = folder / "suitability-2026.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("assessment_valid_days: 365", "assessment_valid_days: 180"),
                      encoding="utf-8")
    return folder


def decide(customers: pa.Table, bundle: Any, spark: Any) -> pa.Table:
    products = offer()
    if spark is None:
        from finpolicy.spark import _plain

        engine = fp.PolicyEngine(fp.load_bundle(bundle))
        return _plain(engine.evaluate_table("suitability", customers, as_of=ON,
                                            products=products))
    from finpolicy.spark import collect, evaluate

    frame = spark.createDataFrame(customers.to_pandas())
    return collect(evaluate(frame, "suitability", bundle=bundle, as_of=ON, products=products))


def changed(before: pa.Table, after: pa.Table) -> pa.Table:
    """The pairs whose outcome differs, with both outcomes and the new rule ids."""
    keys = ["customer_id", "product_id"]
    old = before.select([*keys, "outcome"]).rename_columns([*keys, "outcome_before"])
    # Arrow joins carry no list columns: join the keys and a row number, then take the rows
    new = after.select([*keys, "outcome"]).append_column(
        "row", pa.array(np.arange(after.num_rows)))
    joined = new.join(old, keys)
    joined = joined.filter(pc.not_equal(joined["outcome"], joined["outcome_before"]))
    return after.take(joined["row"]).append_column("outcome_before",
                                                    joined["outcome_before"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--spark", action="store_true", help="evaluate on Spark")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--output", default="changed.parquet")
    args = parser.parse_args(argv)
    spark = None
    if args.spark:
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.master(args.master).appName("recheck-book").getOrCreate()
    customers = book(args.customers)
    before = decide(customers, shipped_packs() / "cn-banking", spark)
    after = decide(customers, proposed_pack(), spark)
    found = changed(before, after)
    pq.write_table(found, args.output)
    print(f"{found.num_rows:,} of {after.num_rows:,} decisions change; written to "
          f"{args.output}")
    if spark is not None:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
