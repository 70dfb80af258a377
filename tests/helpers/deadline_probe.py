"""Drive Airflow's own Deadline Alert machinery for one queued ar_daily run, without a scheduler or triggerer process.

Run in the Airflow environment of `arwh run` (ingestion.airflow_local.airflow_env, its SQLite metadata database):

    python tests/helpers/deadline_probe.py BUSINESS_DATE

1. parse the DAG folder and write it to the metadata database, as the dag-processor does;
2. create a queued run of ar_daily, as the scheduler or a trigger from the UI does: Airflow adds its Deadline row;
3. move that deadline into the past (instead of waiting eight hours) and hand it to `Deadline.handle_miss`, the
   call the scheduler's loop makes for every passed deadline of an unfinished run;
4. run the queued callback through `CallbackTrigger`, the trigger the triggerer runs for an AsyncCallback.

Prints one JSON line: the deadline's interval after queueing, in seconds, and what the callback returned.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timedelta

from airflow.dag_processing.bundles.manager import DagBundlesManager
from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
from airflow.models.dagbag import DBDagBag
from airflow.models.deadline import Deadline
from airflow.models.serialized_dag import SerializedDagModel
from airflow.triggers.callback import CallbackTrigger
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState
from airflow.utils.types import DagRunTriggeredByType, DagRunType
from sqlalchemy import select

DAG_ID = "ar_daily"


def main(business_date: str) -> None:
    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    bundle = manager.get_bundle("dags-folder")
    bundle.initialize()
    bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
    assert not bag.import_errors, bag.import_errors
    sync_bag_to_db(bag, bundle.name, bundle.version)

    with create_session() as session:
        dag = DBDagBag().get_latest_version_of_dag(DAG_ID, session=session)
        assert dag is not None and SerializedDagModel.get(DAG_ID, session=session) is not None
        now = datetime.now().astimezone()
        run = dag.create_dagrun(
            run_id=f"manual__deadline_probe_{now.timestamp()}",
            logical_date=None,
            run_after=now,
            conf={"business_date": business_date},
            run_type=DagRunType.MANUAL,
            triggered_by=DagRunTriggeredByType.TEST,
            state=DagRunState.QUEUED,
            session=session,
        )
        session.flush()
        (deadline,) = session.scalars(select(Deadline).where(Deadline.dagrun_id == run.id)).all()
        interval = (deadline.deadline_time - run.queued_at).total_seconds()

        deadline.deadline_time = datetime.now().astimezone() - timedelta(seconds=1)
        deadline.handle_miss(session)
        session.flush()
        data = dict(deadline.callback.data)

    async def fire() -> list[object]:
        trigger = CallbackTrigger(callback_path=data["path"], callback_kwargs=dict(data["kwargs"]))
        return [event.payload async for event in trigger.run()]

    events = asyncio.run(fire())
    print(json.dumps({"interval_seconds": interval, "events": events}, default=str), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
