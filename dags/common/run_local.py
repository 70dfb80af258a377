"""Run ar_daily for one or more business dates in a single process with `DAG.test()`.

`DAG.test()` is what `airflow dags test` runs; calling it for each date of a range in one process pays Airflow's
start-up (CLI import, DAG parse, the in-process execution API) once instead of once a day. Started by
`arwh run` (ingestion/airflow_local.py) as `python dags/common/run_local.py [--params JSON] DATE...`; after each date it prints
`ARWH-DAY-DONE <date> <state>` so the caller can report the day as soon as it ends. Stops at the first failed day.
"""

from __future__ import annotations

import json
import sys
from datetime import date

import pendulum
from airflow.utils.cli import get_bagged_dag

DAG_ID = "ar_daily"


def main(dates: list[str], params: dict[str, object] | None = None) -> int:
    dag = get_bagged_dag(bundle_names=None, dag_id=DAG_ID)
    if dag is None:
        print(f"ARWH-ERROR dag {DAG_ID} could not be parsed", flush=True)
        return 2
    for text in dates:
        day = date.fromisoformat(text)
        run = dag.test(
            logical_date=pendulum.datetime(day.year, day.month, day.day, tz="UTC"),
            run_conf={**(params or {}), "business_date": day.isoformat()},
        )
        state = str(getattr(run, "state", "unknown"))
        print(f"ARWH-DAY-DONE {day.isoformat()} {state}", flush=True)
        if "success" not in state:
            return 1
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    run_params: dict[str, object] = {}
    if arguments[:1] == ["--params"]:
        run_params = json.loads(arguments[1])
        arguments = arguments[2:]
    sys.exit(main(arguments, run_params))
